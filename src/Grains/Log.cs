using Microsoft.Extensions.Logging;

namespace AdaMec.Grains;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Activation {Grain} is on device {Actual} but its key names {Expected}; migrating it back")]
    public static partial void Misplaced(ILogger logger, string grain, string actual, string expected);
}
