using System.CommandLine;
using AdaMec.Cli.Commands;
using AdaMec.Runtime.Execution;

// Before any tensor exists: profiling and serving must see the same allocator (see NativeAllocator).
NativeAllocator.KeepFreedMemory();
// libtorch warns on every convolution on CPUs NNPACK does not support: errors only unless TORCH_CPP_LOG_LEVEL says.
if (LibTorchLog.Apply() is { Refused: true } log) Console.Error.WriteLine($"warning: {log.Reason}");

var root = new RootCommand("AdaMec: run a DNN across a mobile device and nearby edge boards, re-planning as the context changes.");
foreach (var command in CommandCatalog.All())
{
    root.Subcommands.Add(command);
}
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // Bad input: one line per problem, the same exit code as a command refusing a value.
    foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
    return CliErrors.UserError;
}
try
{
    // Commands throw; one mapping (CliErrors) turns every exception into an exit code and one stderr line.
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e)
{
    return CliErrors.Report(e, Console.Error);
}
