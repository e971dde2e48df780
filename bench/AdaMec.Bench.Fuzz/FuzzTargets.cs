using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdaMec.Client;
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
        InitiatorReport(), DeviceAdmission(), PlanNotification(), SegmentResult(),
    ];

    /// <summary>Target names, for option help and errors.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["manifest", "atom-spec", "weights-file", "sample-csv", "planning-file", "scenario-trace", "credential", "configuration", "atom-load", "forward-request", "context-reports", "device-budgets", "link-reports", "planner-requests",
         "initiator-report", "device-admit", "plan-notification", "segment-result"];

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

    /// <summary>What an initiator reports of itself to its planner (<c>IPlannerGrain.ReportInitiatorAsync</c>, and the deploy's context).</summary>
    public static FuzzTarget InitiatorReport()
    {
        var seeds = new[]
        {
            new InitiatorContext(1.8, "measured", 120, 1, 3_000_000_000, -1, -1, 1),
            new InitiatorContext(4, "prior", 0, 4, -1, 2_000_000_000, 0.5, 4),
        };
        string[] sources = ["measured", "quota", "prior", "Measured", "", "x"];
        return new RecordTarget<InitiatorContext>("initiator-report", "ContextReportValidation.Initiator (PlannerGrain.ReportInitiatorAsync)", seeds, (c, m) =>
        {
            var d = Mutations.Doubles[m.Length % Mutations.Doubles.Length];
            var number = Mutations.Longs[m.Length % Mutations.Longs.Length];
            return (m.Value % 8) switch
            {
                0 => c with { Speed = d },
                1 => c with { PriorSpeed = d },
                2 => c with { SpeedSource = m.Length % 2 == 0 ? sources[m.Length / 2 % sources.Length] : Mutations.Strings[m.Length % Mutations.Strings.Length]! },
                3 => c with { SpeedSamples = Mutations.Int32s[m.Length % Mutations.Int32s.Length] },
                4 => c with { AvailableMemoryBytes = number },
                5 => c with { MemoryLimitBytes = number },
                6 => c with { CpuQuotaCores = d },
                _ => c with { EmulationSpeedFactor = d },
            };
        }, c => (c.SpeedSource?.Length ?? 0) * 2L + 64, c =>
        {
            if (ContextReportValidation.Initiator(c) is { } problem) return problem;
            // Accepted: the planner divides by the speeds and compares memory; they must be usable numbers.
            return double.IsFinite(c.Speed / c.PriorSpeed) ? null : throw new InvalidOperationException("an accepted initiator report has unusable speeds");
        });
    }

    /// <summary>An atom's admission on a device (<c>DeviceGrain.AdmitAsync</c>): its key and byte counts.</summary>
    public static FuzzTarget DeviceAdmission()
    {
        var seeds = new[] { new AdmitCase("phone/alexnet/3@edge1", 61_000_000, 60_000_000), new AdmitCase("d/0@edge1", 0, 0) };
        return new RecordTarget<AdmitCase>("device-admit", "ContextReportValidation.Admission (DeviceGrain.AdmitAsync)", seeds, (c, m) =>
        {
            var number = Mutations.Longs[m.Length % Mutations.Longs.Length];
            return (m.Value % 4) switch
            {
                0 => c with { Key = Mutations.Strings[m.Length % Mutations.Strings.Length]! },
                1 => c with { MemoryBytes = number },
                2 => c with { BytesReceived = number },
                _ => c with { Key = c.Key is { Length: > 0 } key ? key[..(m.Length % key.Length)] + "@edge1" : c.Key },
            };
        }, c => (c.Key?.Length ?? 0) * 2L + 32, c =>
        {
            if (ContextReportValidation.Admission(c.Key, "edge1", c.MemoryBytes, c.BytesReceived) is { } problem) return problem;
            // Accepted: the device sums these; a sum of many must not overflow.
            return checked(c.MemoryBytes * 1024 + c.BytesReceived * 1024) >= 0 ? null : throw new InvalidOperationException("an accepted admission has negative bytes");
        });
    }

    /// <summary>A plan the app is sent (<c>IInitiatorCallback.PlanChangedAsync</c>, deploy answers, refreshes), as the client checks it.</summary>
    public static FuzzTarget PlanNotification()
    {
        var count = FuzzManifest.Value.Atoms.Count;
        var seeds = new[]
        {
            new LivePlan("phone/alexnet", 7, "phone", Enumerable.Range(0, count).Select(i => i % 2 == 0 ? "edge1" : "phone").ToArray(), 31.5, true),
            new LivePlan("phone/alexnet", 0, "phone", Enumerable.Repeat("phone", count).ToArray(), double.PositiveInfinity, false),
        };
        return new RecordTarget<LivePlan>("plan-notification", "ClusterInputValidation.Plan (Deployment.PlanChangedAsync)", seeds, (p, m) =>
        {
            var text = Mutations.Strings[m.Length % Mutations.Strings.Length];
            return (m.Value % 6) switch
            {
                0 => p with { Deployment = text! },
                1 => p with { Version = Mutations.Int32s[m.Length % Mutations.Int32s.Length] },
                2 => p with { Initiator = text! },
                3 => p with { PredictedLatencyMs = Mutations.Doubles[m.Length % Mutations.Doubles.Length] },
                4 => p with { Assignment = (m.Length % 5) switch
                {
                    0 => null!,
                    1 => [],
                    2 => Enumerable.Repeat("edge1", count + 1).ToArray(),
                    3 => Enumerable.Repeat("edge1", 100_000).ToArray(),
                    _ => Enumerable.Repeat("edge2", count).ToArray(),
                } },
                _ => p with { Assignment = p.Assignment is { Count: > 0 } a ? a.Select((x, i) => i == m.Length % a.Count ? text! : x).ToArray() : p.Assignment },
            };
        }, p => (p.Assignment?.Sum(d => 8L + (d?.Length ?? 0) * 2L) ?? 0) + (p.Deployment?.Length ?? 0) * 2L + (p.Initiator?.Length ?? 0) * 2L, p =>
        {
            if (ClusterInputValidation.Plan(p, "phone/alexnet", "phone", count) is { } problem) return problem;
            // Accepted: requests index it by atom and send to its devices.
            return p.Assignment.Count == count && p.Assignment.All(d => !string.IsNullOrWhiteSpace(d)) ? null : throw new InvalidOperationException("an accepted plan cannot be followed");
        });
    }

    /// <summary>A segment's result delivered to the app (<c>IInitiatorCallback.DeliverAsync</c>), as the client checks it before using it.</summary>
    public static FuzzTarget SegmentResult()
    {
        var manifest = FuzzManifest.Value;
        var count = manifest.Atoms.Count;
        var route = Enumerable.Range(0, count).Select(i => i < count / 2 ? "edge1" : "edge2").ToArray();
        var seeds = new[]
        {
            new SegmentCase(0, route, new ForwardResult(new byte[manifest.Atoms[^1].OutputBytes], count, 12.5, route) { FromDevice = "edge2", SentAtUtcTicks = 638_000_000_000_000_000 }),
            new SegmentCase(1, route[1..], new ForwardResult(new byte[manifest.Atoms[2].InputBytes], 2, 3, [route[1]]) { FromDevice = "edge1", Failure = "atom x is not resident" }),
        };
        return new RecordTarget<SegmentCase>("segment-result", "ClusterInputValidation.Segment (Deployment.DeliverAsync)", seeds, (c, m) =>
        {
            var r = c.Result;
            var text = Mutations.Strings[m.Length % Mutations.Strings.Length];
            var result = (m.Value % 7) switch
            {
                0 => r with { NextAtomIndex = Mutations.Int32s[m.Length % Mutations.Int32s.Length] },
                1 => r with { Output = (m.Length % 5) switch
                {
                    0 => null!,
                    1 => [],
                    2 => new byte[Math.Max(0, (r.Output?.Length ?? 0) - 1)],
                    3 => new byte[(r.Output?.Length ?? 0) + 4],
                    _ => new byte[1 << 20],
                } },
                2 => r with { Devices = (m.Length % 4) switch
                {
                    0 => null!,
                    1 => [],
                    2 => [.. r.Devices ?? [], "edge1"],
                    _ => r.Devices is { Count: > 0 } d ? d.Select((x, i) => i == m.Length % d.Count ? text! : x).ToArray() : r.Devices!,
                } },
                3 => r with { Failure = m.Length % 3 == 0 ? null : text },
                4 => r with { FromDevice = text! },
                5 => r with { ServerMs = Mutations.Doubles[m.Length % Mutations.Doubles.Length] },
                _ => r with { SentAtUtcTicks = Mutations.Longs[m.Length % Mutations.Longs.Length] },
            };
            return c with { Result = result };
        }, c => c.Result.Output?.LongLength ?? 0, c =>
        {
            if (ClusterInputValidation.Segment(c.Result, c.Start, c.Route, manifest) is { } problem) return problem;
            // Accepted: the request goes on from NextAtomIndex with Output as that atom's input.
            var next = c.Result.NextAtomIndex;
            var expected = next < count ? manifest.Atoms[next].InputBytes : manifest.Atoms[^1].OutputBytes;
            return c.Result.Output.LongLength == expected && next >= c.Start && next <= count && (next > c.Start || c.Result.Failure is not null)
                ? null
                : throw new InvalidOperationException("an accepted segment result cannot be continued from");
        });
    }

    private static readonly Lazy<AtomManifest> FuzzManifest = new(() => AtomManifest.Parse(Text(FuzzCorpus.Files("manifest")[0]), "manifest.json"));

    /// <summary>An admission: atom key and byte counts.</summary>
    public sealed record AdmitCase(string Key, long MemoryBytes, long BytesReceived);

    /// <summary>A segment sent to atom <paramref name="Start"/> along <paramref name="Route"/>, and the result delivered for it.</summary>
    public sealed record SegmentCase(int Start, IReadOnlyList<string> Route, ForwardResult Result);

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
