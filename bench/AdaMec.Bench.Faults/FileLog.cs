using System.Globalization;
using Microsoft.Extensions.Logging;

namespace AdaMec.Bench.Faults;

/// <summary>
/// The client's log as lines in a file (ADAMEC_FAULTS_LOG_DIR): what the phone decided per request
/// (segments given up, fallbacks, plan refreshes) next to the silos' logs of the same run.
/// </summary>
internal sealed class FileLog(string path, LogLevel minimum) : ILoggerProvider
{
    private readonly StreamWriter _writer = new(path, append: true) { AutoFlush = true };

    /// <summary>A provider writing to ADAMEC_FAULTS_LOG_DIR/<paramref name="name"/>.log, or null when the variable is not set.</summary>
    public static FileLog? FromEnvironment(string name) =>
        Environment.GetEnvironmentVariable("ADAMEC_FAULTS_LOG_DIR") is { Length: > 0 } folder
            ? new FileLog(Path.Combine(Directory.CreateDirectory(folder).FullName, name + ".log"), LogLevel.Information)
            : null;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
        lock (_writer) _writer.Dispose();
    }

    /// <summary>Writes one line as is.</summary>
    public void Write(string line)
    {
        lock (_writer)
        {
            try { _writer.WriteLine(line); }
            catch (ObjectDisposedException) { /* the run is over */ }
        }
    }

    private sealed class Logger(FileLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            owner.Write(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}"));
        }
    }

    private readonly LogLevel _minimum = minimum;
}
