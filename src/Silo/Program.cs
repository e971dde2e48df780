using AdaMec.Grains;
using AdaMec.Runtime.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// adamec-silo --device ID [--silo-port P] [--gateway-port P] [--clustering localhost|postgres]
//             [--primary HOST:PORT] [--connection CS] [--memory-budget-mb N] [--compute-budget-mflops N]
//             [--cache DIR] [--speed-factor F] [--inference-threads T] [--emulate true --emulate-link-mbps M --emulate-link-latency-ms L]
// Configuration, lowest to highest precedence: appsettings.json, ADAMEC_ environment variables
// (ADAMEC_Device__Id=edge1), command line. SIGTERM or Ctrl+C shut the silo down cleanly.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("adamec-silo --device ID [options]   (the silo of one device)");
    foreach (var (option, key) in AdaMecSiloHost.Switches) Console.WriteLine($"  {option,-28} {key}");
    return 0;
}

NativeAllocator.KeepFreedMemory(); // the silo runs atoms: same allocator as the profile (see NativeAllocator)

var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
    .AddEnvironmentVariables("ADAMEC_")
    .AddCommandLine(args, AdaMecSiloHost.Switches.ToDictionary())
    .Build();

try
{
    using var host = AdaMecSiloHost.Build(configuration);
    await host.RunAsync();
    return 0;
}
catch (Exception e) when (e is ArgumentException or OptionsValidationException or FormatException or InvalidOperationException)
{
    Console.Error.WriteLine($"adamec-silo: {e.Message}");
    return 2;
}
