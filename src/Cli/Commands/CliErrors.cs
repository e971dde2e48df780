using AdaMec.Core.Atoms;
using AdaMec.Runtime.Zoo;

namespace AdaMec.Cli.Commands;

/// <summary>Turns the errors a user can cause (bad files, unknown names, bad values) into one stderr line and exit code 2.</summary>
internal static class CliErrors
{
    public const int UserError = 2;

    public static int Guard(Func<int> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return action();
        }
        catch (Exception e) when (e is AtomFileException or UnknownModelException or InvalidDataException or FileNotFoundException
                                      or DirectoryNotFoundException or ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return UserError;
        }
    }
}
