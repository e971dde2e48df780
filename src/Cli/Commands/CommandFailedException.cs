namespace AdaMec.Cli.Commands;

/// <summary>
/// A command ran and its result is a failure (a verification mismatch, failed requests, a target not
/// met): it has printed what it found, and this carries the one-line reason to <see cref="CliErrors"/>,
/// which exits 1. Commands throw it instead of returning their own exit code.
/// </summary>
internal sealed class CommandFailedException(string message) : Exception(message);
