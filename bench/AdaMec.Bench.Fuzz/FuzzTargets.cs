using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdaMec.Core.Atoms;
using AdaMec.Core.Deployments;
using AdaMec.Core.Planning;
using AdaMec.Core.Scenarios;
using AdaMec.Core.Serialization;
using AdaMec.Grains;
using AdaMec.Interfaces;
using AdaMec.Interfaces.Security;
using AdaMec.Prediction.Profiling;
using AdaMec.Runtime.Atoms;
using Microsoft.Extensions.Configuration;

namespace AdaMec.Bench.Fuzz;

/// <summary>
/// Every parser of an external input and every grain entry point's validation, each with its seeds
/// (<see cref="FuzzCorpus"/>) and the errors it documents as clear: everything else is a crash.
/// </summary>
public static class FuzzTargets
{
    /// <summary>All targets, in table order.</summary>
    public static IReadOnlyList<FuzzTarget> All() =>
    [
        Manifest(), AtomSpec(), Weights(), SampleCsvFile(), PlanningFile(), ScenarioTrace(), Credential(), Configuration(),
        AtomLoad(), Forward(), ContextReports(), DeviceBudgets(), LinkReports(), PlannerRequests(),
    ];

    /// <summary>Target names, for option help and errors.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["manifest", "atom-spec", "weights-file", "sample-csv", "planning-file", "scenario-trace", "credential", "configuration", "atom-load", "forward-request", "context-reports", "device-budgets", "link-reports", "planner-requests"];

    private static string Text(byte[] data) => Encoding.UTF8.GetString(data);

    /// <summary>manifest.json as `adamec client` and the planner read it.</summary>
    public static FuzzTarget Manifest() => new BytesTarget("manifest", "AtomManifest.Parse", FuzzCorpus.Files("manifest"), data =>
    {
        try { AtomManifest.Parse(Text(data), "manifest.json"); return null; }
        catch (AtomFileException e) { return e.Message; }
    }, Mutations.JsonToken);

    /// <summary>One atom's spec as an atom grain's load request carries it.</summary>
    public static FuzzTarget AtomSpec() => new BytesTarget("atom-spec", "AtomSpecValidation.Parse", FuzzCorpus.Files("atom-spec"), data =>
    {
        try { AtomSpecValidation.Parse(Text(data), AtomLimits.Default, new LimitsOptions().MaxSpecJsonChars); return null; }
        catch (AtomFileException e) { return e.Message; }
    }, Mutations.JsonToken);

    /// <summary>An atom's weights file (AMW1) as a device loads it.</summary>
    public static FuzzTarget Weights() => new BytesTarget("weights-file", "WeightsFile.Read", FuzzCorpus.WeightsFiles(), data =>
    {
        try { WeightsFile.Read(data); return null; }
        catch (InvalidDataException e) { return e.Message; }
    });

    /// <summary>Profiled operator samples (`adamec predictor train --samples`).</summary>
    public static FuzzTarget SampleCsvFile() => new BytesTarget("sample-csv", "SampleCsv.Read", FuzzCorpus.Files("sample-csv"), data =>
    {
        try { SampleCsv.Read(new StringReader(Text(data)), "samples.csv"); return null; }
        catch (FormatException e) { return e.Message; }
    }, Mutations.CsvToken);

    /// <summary>A planning file (`adamec plan --problem`).</summary>
    public static FuzzTarget PlanningFile() => new BytesTarget("planning-file", "PlanningProblemJson.Read", FuzzCorpus.Files("planning-file"), data =>
    {
        try { PlanningProblemJson.Read(Text(data)); return null; }
        catch (PlanningProblemException e) { return e.Message; }
    }, Mutations.JsonToken);

    /// <summary>A scenario trace (scenarios/*.json: a timeline of context changes).</summary>
    public static FuzzTarget ScenarioTrace() => new BytesTarget("scenario-trace", "ScenarioTraceJson.Read", FuzzCorpus.Files("scenario-trace"), data =>
    {
        try { ScenarioTraceJson.Read(Text(data)); return null; }
        catch (ScenarioTraceException e) { return e.Message; }
    }, Mutations.JsonToken);

    /// <summary>A cluster key or credential file (`--cluster-key-file`).</summary>
    public static FuzzTarget Credential() => new BytesTarget("credential", "ClusterCredential.Parse", FuzzCorpus.Credentials(), data =>
    {
        try { ClusterCredential.Parse(Text(data), "cluster.key"); return null; }
        catch (InvalidDataException e) { return e.Message; }
    }, Mutations.JsonToken);

    /// <summary>
    /// A silo's configuration (appsettings JSON, sections Device, Emulation, Planner, Links, Silo, Limits): bound and
    /// validated as at silo start.
    /// </summary>
    public static FuzzTarget Configuration() => new BytesTarget("configuration", "SiloConfiguration.Validate", FuzzCorpus.Files("configuration"), data =>
    {
        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(data)).Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or JsonException)
        {
            return e.Message; // not a JSON configuration file: the configuration provider says where
        }
        return SiloConfiguration.Validate(configuration);
    }, Mutations.JsonToken);

    /// <summary>An atom grain's load request (ids and spec), as <c>AtomGrain.LoadAsync</c> checks it.</summary>
    public static FuzzTarget AtomLoad()
    {
        var limits = new LimitsOptions();
        var seeds = FuzzCorpus.Files("atom-spec").Select(Text).Select(json =>
        {
            var index = JsonNode.Parse(json)!["index"]!.GetValue<int>();
            return new LoadCase(GrainKeys.Atom("phone/alexnet", index, "edge1"), new AtomLoadRequest(json, "phone", null!, null));
        }).ToArray();
        return new RecordTarget<LoadCase>("atom-load", "AtomRequestValidation.Load", seeds, (c, m) => (m.Value % 3) switch
        {
            0 => c with { Request = c.Request with { SpecJson = Text(Mutations.JsonToken(Encoding.UTF8.GetBytes(c.Request.SpecJson), m) ?? []) } },
            1 => c with { Request = c.Request with { InitiatorDevice = Mutations.Strings[m.Length % Mutations.Strings.Length]! } },
            _ => c with { Request = c.Request with { PeerDevice = Mutations.Strings[m.Length % Mutations.Strings.Length] } },
        }, c => (c.Request.SpecJson?.Length ?? 0) * 2L, c =>
        {
            try { AtomRequestValidation.Load(c.Request, c.Key, limits); return null; }
            catch (AdaMecException e) { return e.Message; }
        });
    }

    /// <summary>A forward request at an atom grain, as <c>AtomGrain.RunAsync</c> checks it (resident and not).</summary>
    public static FuzzTarget Forward()
    {
        var limits = new LimitsOptions();
        var specs = FuzzCorpus.Files("atom-spec").Select(f => JsonSerializer.Deserialize<AtomSpec>(f, AdaMecJson.Options)!).ToArray();
        var seeds = specs.SelectMany(s => Residency.Select(resident => new ForwardCase(
            GrainKeys.Atom("phone/alexnet", s.Index, "edge1"), resident ? s : null,
            new ForwardRequest(Guid.NewGuid(), "phone/alexnet", s.Index, ["edge1", "edge2"], "phone", new byte[s.InputBytes], "phone")
            {
                Ran = ["phone"], ServerMs = 1.5,
            }))).ToArray();
        return new RecordTarget<ForwardCase>("forward-request", "AtomRequestValidation.Forward", seeds, MutateForward,
            c => c.Request.Input?.LongLength ?? 0, c => AtomRequestValidation.Forward(c.Request, c.Key, c.Spec, limits));
    }

    private static readonly bool[] Residency = [true, false];

    private static ForwardCase MutateForward(ForwardCase c, Mutation m)
    {
        var r = c.Request;
        var text = Mutations.Strings[m.Length % Mutations.Strings.Length];
        var number = Mutations.Longs[m.Length % Mutations.Longs.Length];
        var route = (m.Length % 6) switch
        {
            0 => null,
            1 => [],
            2 => [text!],
            3 => Enumerable.Repeat("edge2", 5000).Prepend("edge1").ToArray(),
            4 => ["edge1", null!],
            _ => (IReadOnlyList<string>)["edge1", text!],
        };
        var input = (m.Length % 7) switch
        {
            0 => null,
            1 => [],
            2 => new byte[1],
            3 => new byte[Math.Max(0, (r.Input?.Length ?? 0) - 1)],
            4 => new byte[(r.Input?.Length ?? 0) + 1],
            5 => new byte[1 << 20],
            _ => r.Input,
        };
        return c with
        {
            Request = (m.Value % 9) switch
            {
                8 => r with { SentAtUtcTicks = m.Length % 2 == 0 ? DateTime.UtcNow.Ticks - 10_000 : Mutations.Longs[m.Length % Mutations.Longs.Length] },
                0 => r with { Deployment = text! },
                1 => r with { AtomIndex = (int)number },
                2 => r with { Route = route! },
                3 => r with { Initiator = text! },
                4 => r with { FromDevice = text! },
                5 => r with { Input = input! },
                6 => r with { Ran = route! },
                _ => r with { ServerMs = Mutations.Doubles[m.Length % Mutations.Doubles.Length] },
            },
        };
    }

    /// <summary>Context reports at device and link grains: subscriptions (both), link declarations, latency reports.</summary>
    public static FuzzTarget ContextReports()
    {
        var seeds = new[]
        {
            new ContextCase(new ContextSubscription("phone/alexnet", TimeSpan.FromMinutes(2)), 40, 2, new LatencyReport(DateTimeOffset.UnixEpoch, 20, 31.5, 40.2, 120, 3)),
            new ContextCase(new ContextSubscription("d", TimeSpan.FromDays(1)), 0.5, 0, new LatencyReport(DateTimeOffset.UnixEpoch, 1, 0, 0, 0, 0)),
        };
        return new RecordTarget<ContextCase>("context-reports", "ContextLeases.Renew, ContextReportValidation", seeds, (c, m) =>
        {
            var d = Mutations.Doubles[m.Length % Mutations.Doubles.Length];
            var text = Mutations.Strings[m.Length % Mutations.Strings.Length];
            var ticks = Mutations.Longs[m.Length % Mutations.Longs.Length];
            return (m.Value % 9) switch
            {
                0 => c with { Subscription = (c.Subscription ?? seeds[0].Subscription) with { Deployment = text! } },
                1 => c with { Subscription = (c.Subscription ?? seeds[0].Subscription) with { Lease = TimeSpan.FromTicks(ticks) } },
                2 => c with { Mbps = d },
                3 => c with { LatencyMs = d },
                4 => c with { Report = c.Report with { Requests = (int)ticks } },
                5 => c with { Report = c.Report with { MedianMs = d } },
                6 => c with { Report = c.Report with { MaxMs = d } },
                7 => c with { Report = c.Report with { RequirementMs = d, PlanVersion = (int)ticks } },
                _ => c with { Subscription = null! },
            };
        }, c => (c.Subscription?.Deployment?.Length ?? 0) * 2L, c =>
        {
            if (ContextReportValidation.Declaration(c.Mbps, c.LatencyMs) is { } declaration) return declaration;
            if (ContextReportValidation.Latency(c.Report) is { } report) return report;
            try
            {
                new ContextLeases().Renew(c.Subscription, DateTimeOffset.UnixEpoch, "link edge1->edge2");
                return null;
            }
            catch (AdaMecException e) { return e.Message; }
        });
    }

    /// <summary>Budgets an operator sets on a device grain (<c>DeviceGrain.SetBudgetsAsync</c>) and a device subscription.</summary>
    public static FuzzTarget DeviceBudgets()
    {
        var seeds = new[]
        {
            new BudgetsCase(new DeviceBudgets(300_000_000, 5.5e8), new ContextSubscription("phone/alexnet", TimeSpan.FromMinutes(2))),
            new BudgetsCase(new DeviceBudgets(null, null), new ContextSubscription("d", TimeSpan.FromDays(1))),
        };
        return new RecordTarget<BudgetsCase>("device-budgets", "ContextReportValidation.Budgets, ContextLeases.Renew", seeds, (c, m) =>
        {
            var d = Mutations.Doubles[m.Length % Mutations.Doubles.Length];
            var number = Mutations.Longs[m.Length % Mutations.Longs.Length];
            return (m.Value % 5) switch
            {
                0 => c with { Budgets = (c.Budgets ?? seeds[0].Budgets) with { MemoryBudgetBytes = m.Length % 4 == 0 ? null : number } },
                1 => c with { Budgets = (c.Budgets ?? seeds[0].Budgets) with { ComputeBudgetFlops = m.Length % 4 == 0 ? null : d } },
                2 => c with { Subscription = c.Subscription with { Deployment = Mutations.Strings[m.Length % Mutations.Strings.Length]! } },
                3 => c with { Subscription = c.Subscription with { Lease = TimeSpan.FromTicks(number) } },
                _ => c with { Budgets = null! },
            };
        }, c => (c.Subscription.Deployment?.Length ?? 0) * 2L, c =>
        {
            if (ContextReportValidation.Budgets(c.Budgets) is { } problem) return problem;
            try
            {
                new ContextLeases().Renew(c.Subscription, DateTimeOffset.UnixEpoch, "device edge1");
                return null;
            }
            catch (AdaMecException e) { return e.Message; }
        });
    }

    /// <summary>What a link grain takes from callers: declarations (<c>DeclareAsync</c>) and measured transfers (<c>RecordTransferAsync</c>).</summary>
    public static FuzzTarget LinkReports()
    {
        var seeds = new[]
        {
            new LinkCase(40, 2, new TransferSample(602_112, 31.5)),
            new LinkCase(0.5, 0, new TransferSample(1, 0) { Probe = true }),
        };
        return new RecordTarget<LinkCase>("link-reports", "ContextReportValidation.Declaration, ContextReportValidation.Transfer", seeds, (c, m) =>
        {
            var d = Mutations.Doubles[m.Length % Mutations.Doubles.Length];
            return (m.Value % 5) switch
            {
                0 => c with { Mbps = d },
                1 => c with { LatencyMs = d },
                2 => c with { Sample = (c.Sample ?? seeds[0].Sample) with { Bytes = Mutations.Longs[m.Length % Mutations.Longs.Length] } },
                3 => c with { Sample = (c.Sample ?? seeds[0].Sample) with { Milliseconds = d } },
                _ => c with { Sample = null! },
            };
        }, _ => 64, c =>
        {
            if (ContextReportValidation.Declaration(c.Mbps, c.LatencyMs) is { } declaration) return declaration;
            if (ContextReportValidation.Transfer(c.Sample) is { } sample) return sample;
            // An accepted sample must be one the estimator can fit.
            var recorded = new AdaMec.Core.Context.LinkSample(c.Sample.Bytes, c.Sample.Milliseconds, DateTimeOffset.UnixEpoch);
            return AdaMec.Core.Context.LinkEstimator.Usable(recorded) ? null : throw new InvalidOperationException("an accepted transfer sample is not usable");
        });
    }

    /// <summary>
    /// A planner's requests, as <c>PlannerGrain</c> hands them to its deployment machine: deploy (requirement, initiator facts),
    /// then a new latency requirement and a pin.
    /// </summary>
    public static FuzzTarget PlannerRequests()
    {
        var manifest = AtomManifest.Parse(Text(FuzzCorpus.Files("manifest")[0]), "manifest.json");
        var model = DeploymentModel.FromManifest(manifest, "fuzz");
        var count = manifest.Atoms.Count;
        var seeds = new[]
        {
            new PlannerCase(120, new DeploymentInitiator("phone", 4, 3e8, 5.5e8), 80, Enumerable.Range(0, count).Select(i => i % 2 == 0 ? "edge1" : "phone").ToArray()),
            new PlannerCase(1000, new DeploymentInitiator("phone", 1, null, null), 1000, null),
        };
        var machineOptions = new DeploymentMachineOptions();
        return new RecordTarget<PlannerCase>("planner-requests", "DeploymentMachine.Deploy, SetRequirement, SetPin", seeds, (c, m) =>
        {
            var d = Mutations.Doubles[m.Length % Mutations.Doubles.Length];
            var text = Mutations.Strings[m.Length % Mutations.Strings.Length];
            return (m.Value % 8) switch
            {
                0 => c with { RequirementMs = d },
                1 => c with { NewRequirementMs = d },
                2 => c with { Initiator = c.Initiator with { DeviceId = text! } },
                3 => c with { Initiator = c.Initiator with { SpeedFactor = d } },
                4 => c with { Initiator = c.Initiator with { MemoryBudgetBytes = m.Length % 4 == 0 ? null : d } },
                5 => c with { Initiator = c.Initiator with { ComputeBudgetFlops = m.Length % 4 == 0 ? null : d } },
                6 => c with { Pin = (m.Length % 5) switch
                {
                    0 => null,
                    1 => [],
                    2 => Enumerable.Repeat("edge1", count + 1).ToArray(),
                    3 => Enumerable.Repeat(text!, count).ToArray(),
                    _ => Enumerable.Repeat("edge2", count).ToArray(),
                } },
                _ => c with { Pin = c.Pin is { Count: > 0 } pin ? pin.Select((x, i) => i == m.Length % pin.Count ? text! : x).ToArray() : c.Pin },
            };
        }, c => (c.Initiator.DeviceId?.Length ?? 0) * 2L + (c.Pin?.Sum(p => p?.Length ?? 0) ?? 0) * 2L, c =>
        {
            try
            {
                var machine = new DeploymentMachine("phone/alexnet", machineOptions, TimeProvider.System);
                machine.Deploy(model, c.Initiator, c.RequirementMs, ["edge1", "edge2"]);
                machine.SetRequirement(c.NewRequirementMs);
                machine.SetPin(c.Pin);
                return null;
            }
            catch (DeploymentException e) { return e.Message; }
        });
    }

    /// <summary>A load request and the grain key it is sent to.</summary>
    public sealed record LoadCase(string Key, AtomLoadRequest Request);

    /// <summary>A forward request, the grain key it is sent to and the resident spec (null: not resident).</summary>
    public sealed record ForwardCase(string Key, AtomSpec? Spec, ForwardRequest Request);

    /// <summary>One of each context report.</summary>
    public sealed record ContextCase(ContextSubscription Subscription, double Mbps, double LatencyMs, LatencyReport Report);

    /// <summary>Budgets and a subscription at a device grain.</summary>
    public sealed record BudgetsCase(DeviceBudgets Budgets, ContextSubscription Subscription);

    /// <summary>A declaration and a transfer sample at a link grain.</summary>
    public sealed record LinkCase(double Mbps, double LatencyMs, TransferSample Sample);

    /// <summary>A deploy, then a new requirement and a pin.</summary>
    public sealed record PlannerCase(double RequirementMs, DeploymentInitiator Initiator, double NewRequirementMs, IReadOnlyList<string>? Pin);
}
