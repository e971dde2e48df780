using System.Runtime.InteropServices;

namespace AdaMec.Runtime.Execution;

/// <summary>What <see cref="LibTorchLog.Apply"/> did, for the log.</summary>
/// <param name="Applied">True when libtorch's C++ log level is now the one <paramref name="Reason"/> names.</param>
/// <param name="Reason">The level set, or why none was.</param>
/// <param name="Refused">True when the variable held no level: the caller tells the user (<paramref name="Reason"/> says what).</param>
public readonly record struct LibTorchLogLevel(bool Applied, string Reason, bool Refused = false);

/// <summary>
/// libtorch's C++ messages (c10 logging) go straight to the process's stderr. On a CPU that NNPACK does not
/// support, libtorch warns "Could not initialize NNPACK! Reason: Unsupported hardware." on every convolution,
/// which buries a silo's log and the demo's table. PyTorch sets c10's level from <c>TORCH_CPP_LOG_LEVEL</c> when
/// Python imports torch; libtorch on its own never reads the variable, so the CLI and the silo call
/// <see cref="Apply"/> first (and warn when the variable holds no level), and the torch backend calls it when
/// created, for every other host: the variable's level (INFO, WARNING, ERROR, FATAL or 0–3), or ERROR when it
/// is unset. A process without libtorch (an ONNX-only board) is left alone.
/// </summary>
public static class LibTorchLog
{
    /// <summary>The variable PyTorch reads for the same setting.</summary>
    public const string Variable = "TORCH_CPP_LOG_LEVEL";

    /// <summary>The level when <see cref="Variable"/> is unset: errors only.</summary>
    public const int DefaultLevel = 2;

    // c10's severities (c10/util/Logging.h): GLOG_INFO = 0 ... GLOG_FATAL = 3.
    private static readonly string[] Names = ["INFO", "WARNING", "ERROR", "FATAL"];

    // c10's minimum severity, an exported int in libc10 (C10_DEFINE_int(caffe2_log_level, ...)).
    private const string LevelSymbol = "FLAGS_caffe2_log_level";

    private static readonly Lazy<LibTorchLogLevel> Applied = new(() => Set(Environment.GetEnvironmentVariable(Variable)));

    /// <summary>Sets libtorch's C++ log level once per process (idempotent).</summary>
    public static LibTorchLogLevel Apply() => Applied.Value;

    /// <summary>The level c10 logs at now, or null when libtorch is not here.</summary>
    public static int? Current() => TryFindLevel(out var level) ? Marshal.ReadInt32(level) : null;

    /// <summary><paramref name="text"/> as a c10 severity: a name (any case) or 0–3; null or empty: <see cref="DefaultLevel"/>.</summary>
    public static bool TryParse(string? text, out int level)
    {
        level = DefaultLevel;
        if (string.IsNullOrWhiteSpace(text)) return true;
        var trimmed = text.Trim();
        if (int.TryParse(trimmed, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            level = number;
            return number is >= 0 and <= 3;
        }
        level = Array.FindIndex(Names, n => string.Equals(n, trimmed, StringComparison.OrdinalIgnoreCase));
        return level >= 0;
    }

    private static LibTorchLogLevel Set(string? text)
    {
        if (!TryParse(text, out var level))
        {
            return new(false, $"{Variable}={text} is not INFO, WARNING, ERROR, FATAL or 0-3: libtorch's own level kept", Refused: true);
        }
        if (!TryFindLevel(out var address)) return new(false, "libtorch is not in this process's native libraries: nothing to set");
        Marshal.WriteInt32(address, level);
        return new(true, $"libtorch logs {Names[level]} and above");
    }

    private static bool TryFindLevel(out nint address)
    {
        address = 0;
        // The same probing as TorchSharp's own load (the app's native asset folders), so it is the same library.
        return NativeLibrary.TryLoad("libc10.so", typeof(LibTorchLog).Assembly, null, out var c10)
            && NativeLibrary.TryGetExport(c10, LevelSymbol, out address);
    }
}
