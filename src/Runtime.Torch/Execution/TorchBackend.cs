using AdaMec.Core.Atoms;
using AdaMec.Runtime.Atoms;
using TorchSharp;

namespace AdaMec.Runtime.Execution;

/// <summary>
/// Atoms on TorchSharp (libtorch, linux-x64 here). libtorch has one intra-op thread pool per
/// process: creating this backend with a thread count sets it for the whole process.
/// </summary>
public sealed class TorchBackend : IExecutionBackend
{
    public TorchBackend(int? threads)
    {
        if (threads is < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1");
        Threads = threads;
        if (threads is { } n) torch.set_num_threads(n);
        // Every host that runs atoms on libtorch (a silo, the CLI, an app, an in-process DevCluster)
        // gets the same quiet C++ log; once per process, so the hosts' own earlier calls stay the one that counts.
        LibTorchLog.Apply();
    }

    public string Name => ExecutionBackends.Torch;

    public int? Threads { get; }

    /// <summary>Empty when libtorch loads here, else why not (found by name from <see cref="ExecutionBackends"/>).</summary>
    public static string ProbeNatives()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return "";
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or BadImageFormatException or EntryPointNotFoundException)
        {
            return $"libtorch does not load ({(e.InnerException ?? e).Message})";
        }
    }

    public IExecutableAtom Load(AtomSpec atom, byte[] weights) => new TorchAtom(atom, AtomLoader.Load(weights, atom));

    private sealed class TorchAtom(AtomSpec spec, GraphSliceModule module) : IExecutableAtom
    {
        public AtomSpec Spec { get; } = spec;

        public byte[] Run(byte[] input) => AtomChain.RunAtom(module, Spec, input);

        public void Dispose() => module.Dispose();
    }
}
