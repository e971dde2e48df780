using System.Globalization;

namespace AdaMec.Cli.Commands;

/// <summary>How the predictor reports print a signed relative error.</summary>
internal static class Percent
{
    /// <summary>
    /// +4.1%, -2.0%, +0.0%. The third format section is for values that round to zero: with two
    /// sections .NET prints a small negative error as "-+0.0%".
    /// </summary>
    public static string Signed(double fraction) => fraction.ToString("+0.0%;-0.0%;+0.0%", CultureInfo.InvariantCulture);
}
