using AdaMec.Grains;
using AdaMec.Runtime.Execution;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// adamec-silo --device ID [options]: the silo of one device (--help lists the options). Configuration:
// appsettings.json, ADAMEC_ environment variables (ADAMEC_Device__Id=edge1), command line.
// SIGTERM or Ctrl+C shut the silo down cleanly.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("adamec-silo --device ID [options]   (the silo of one device)");
    foreach (var (option, key) in AdaMecSiloHost.Switches) Console.WriteLine($"  {option,-28} {key}");
    return 0;
}
NativeAllocator.KeepFreedMemory(); // the silo runs atoms: same allocator as the profile (see NativeAllocator)
if (LibTorchLog.Apply() is { Refused: true } log) Console.Error.WriteLine($"adamec-silo: warning: {log.Reason}"); // see LibTorchLog
try
{
    var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddAdaMecSiloSources(args).Build();
    using var host = AdaMecSiloHost.Build(configuration);
    await host.RunAsync();
    return 0;
}
catch (Exception e) when (e is ArgumentException or OptionsValidationException or FormatException or InvalidOperationException)
{
    Console.Error.WriteLine($"adamec-silo: {e.Message}");
    return 2;
}
