using System.ComponentModel.DataAnnotations;

namespace AdaMec.Client;

/// <summary>How the app connects and what it says about its own device. Section "AdaMecClient".</summary>
public sealed class AdaMecClientOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "AdaMecClient";

    /// <summary>
    /// This device's id (the initiator). Must not be a silo's device id. Default deployment ids start
    /// with it, so two apps with the same id deploying the same folder would share one deployment.
    /// </summary>
    /// <value>The default value is "mobile-" and 8 random hex digits, new for each options object (<see cref="NewDeviceId"/>).</value>
    [Required, RegularExpression(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
    public string DeviceId { get; set; } = NewDeviceId();

    /// <summary>A fresh initiator id: "mobile-" and 8 random hex digits.</summary>
    public static string NewDeviceId() => "mobile-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

    /// <summary>Gateways as HOST:PORT (used when <see cref="PostgresConnection"/> is absent).</summary>
    public IList<string> Gateways { get; } = [];

    /// <summary>PostgreSQL connection string: find gateways in the AdoNet membership table instead.</summary>
    public string? PostgresConnection { get; set; }

    /// <summary>
    /// The cluster credential file (`adamec keygen credential`, or the cluster key itself): every call
    /// this client makes is signed with it. Needed when the silos run with a cluster key. An initiator
    /// credential names one device: <see cref="DeviceId"/> must be that name.
    /// </summary>
    /// <value>The default value is null (the cluster does not authenticate callers).</value>
    public string? ClusterKeyFile { get; set; }

    /// <summary>Orleans cluster id.</summary>
    public string ClusterId { get; set; } = "adamec";

    /// <summary>Orleans service id.</summary>
    public string ServiceId { get; set; } = "adamec";

    /// <summary>
    /// EMULATION: with <see cref="Emulation"/> on, how many times slower than they run the local atoms are
    /// made (0.01 to 1000; only a factor above 1 slows them). Not a planner input: the planner plans with the
    /// speed this device measures of its own local atom passes, which include the emulated slowdown.
    /// </summary>
    /// <value>The default value is 1.</value>
    [Range(0.01, 1000)]
    public double SpeedFactor { get; set; } = 1;

    /// <summary>
    /// Intra-op threads this device's local atoms run with (1 to 1,024; either backend): the thread count
    /// the latency predictor was profiled at, as a silo's Device:InferenceThreads, so the planner's
    /// estimates for local atoms hold. Absent: libtorch's default. Set for the whole process when
    /// the client connects (libtorch has one thread pool).
    /// </summary>
    [Range(1, 1024)]
    public int? InferenceThreads { get; set; }

    /// <summary>
    /// What runs this device's own atoms: "onnx" (ONNX Runtime: Android, iOS, linux-arm64, x64),
    /// "torch" (TorchSharp; needs the AdaMec.Runtime.Torch assembly deployed with the app and
    /// libtorch loading) or "auto": torch where it loads, else onnx.
    /// </summary>
    /// <value>The default value is "auto".</value>
    [Required, RegularExpression("^(auto|torch|onnx)$", ErrorMessage = "Backend must be 'auto', 'torch' or 'onnx'")]
    public string Backend { get; set; } = "auto";

    /// <summary>This device's memory budget for atoms, bytes. Absent: unlimited.</summary>
    [Range(0, long.MaxValue)]
    public long? MemoryBudgetBytes { get; set; }

    /// <summary>This device's compute budget, FLOPs per inference. Absent: unlimited.</summary>
    [Range(0, double.MaxValue)]
    public double? ComputeBudgetFlops { get; set; }

    /// <summary>Retries of a cluster segment on a newer plan before the rest of a request runs locally (0 to 10).</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>How long one call into the cluster may take before it fails (1 s to 10 min).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a request waits for a cluster segment's output (100 ms to 10 min) before it gives the
    /// segment up and retries it on a newer plan or runs it here. A plan change that drops a device of
    /// the segment's route ends the wait at once.
    /// </summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan SegmentTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the client re-reads the gateway list (1 s to 10 min; with PostgreSQL membership, one
    /// small query). A silo declared dead leaves the list at the next read: until then calls whose
    /// gateway it was go unanswered (a frozen board keeps its sockets open). Orleans' default is 1 minute.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>EMULATION: slow local atoms down by <see cref="SpeedFactor"/> and shape the uplink. Off by default.</summary>
    public bool Emulation { get; set; }

    /// <summary>EMULATION: uplink bandwidth, Mbps.</summary>
    [Range(0.01, 100_000)]
    public double? EmulatedUplinkMbps { get; set; }

    /// <summary>EMULATION: uplink one-way latency, ms.</summary>
    [Range(0, 10_000)]
    public double EmulatedUplinkLatencyMs { get; set; }

    internal TimeSpan UplinkDelay(long bytes) =>
        !Emulation ? TimeSpan.Zero : TimeSpan.FromMilliseconds(EmulatedUplinkLatencyMs + (EmulatedUplinkMbps is { } mbps ? bytes * 8 / (mbps * 1000) : 0));

    internal void Validate(bool connecting = false)
    {
        var failures = Failures(connecting);
        if (failures.Count > 0) throw new ArgumentException("invalid client options: " + string.Join("; ", failures));
    }

    /// <summary>What is wrong with these options (empty when usable); <paramref name="connecting"/>: they must also name a way to the cluster.</summary>
    internal List<string> Failures(bool connecting)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        var failures = results.Select(r => r.ErrorMessage ?? "invalid value").ToList();
        if (ResponseTimeout < TimeSpan.FromSeconds(1) || ResponseTimeout > TimeSpan.FromMinutes(10))
            failures.Add($"ResponseTimeout must be 1 s to 10 min, got {ResponseTimeout}");
        if (SegmentTimeout < TimeSpan.FromMilliseconds(100) || SegmentTimeout > TimeSpan.FromMinutes(10))
            failures.Add($"SegmentTimeout must be 100 ms to 10 min, got {SegmentTimeout}");
        if (GatewayListRefreshPeriod < TimeSpan.FromSeconds(1) || GatewayListRefreshPeriod > TimeSpan.FromMinutes(10))
            failures.Add($"GatewayListRefreshPeriod must be 1 s to 10 min, got {GatewayListRefreshPeriod}");
        if (connecting && PostgresConnection is null && Gateways.Count == 0)
            failures.Add("give at least one gateway (HOST:PORT) or a PostgreSQL connection string");
        return failures;
    }
}
