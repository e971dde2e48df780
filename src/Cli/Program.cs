using System.CommandLine;
using AdaMec.Cli.Commands;
using AdaMec.Runtime.Execution;

// Before any tensor exists: profiling and serving must see the same allocator (see NativeAllocator).
NativeAllocator.KeepFreedMemory();

var root = new RootCommand("AdaMec: run a DNN across a mobile device and nearby edge boards, re-planning as the context changes.");
foreach (var command in CommandCatalog.All())
{
    root.Subcommands.Add(command);
}
return await root.Parse(args).InvokeAsync();
