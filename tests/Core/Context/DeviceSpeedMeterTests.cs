using AdaMec.Core.Context;

namespace AdaMec.Core.Tests.Context;

/// <summary>A device's speed from timed atom passes against their predictions, and across CPU quota changes.</summary>
public sealed class DeviceSpeedMeterTests
{
    [Fact]
    public void Current_NothingTimed_IsThePriorScaledByTheQuota()
    {
        var meter = new DeviceSpeedMeter();
        meter.Configure(effectiveCores: 0.5, threads: 2, emulationFactor: 3);

        var reading = meter.Current;

        Assert.Equal(SpeedSource.Prior, reading.Source);
        // Two threads sharing half a core: each runs at a quarter of its speed; times the emulated 3.
        Assert.Equal(3 * Math.Max(1, Math.Min(2, Environment.ProcessorCount) / 0.5), reading.Speed, 6);
        Assert.Equal(reading.Speed, meter.PriorSpeed, 6);
    }

    [Fact]
    public void Restart_AfterAMeasurement_KeepsItUntilThreeNewPassesThenReadsOnlyThose()
    {
        var meter = new DeviceSpeedMeter();
        meter.Configure(2, 2, 1);
        for (var i = 0; i < 5; i++) meter.Record(predictedMs: 10, measuredMs: 10);
        var before = meter.Current;

        meter.Restart();
        meter.Record(predictedMs: 10, measuredMs: 30);
        meter.Record(predictedMs: 10, measuredMs: 30);
        Assert.Equal(before, meter.Current);
        meter.Record(predictedMs: 10, measuredMs: 30);

        Assert.Equal(new SpeedReading(3, SpeedSource.Measured, 3), meter.Current);
    }

    [Fact]
    public void Current_ThreePassesTimed_IsTotalMeasuredOverTotalPredictedWithoutTheSlowestPass()
    {
        var meter = new DeviceSpeedMeter();
        meter.Configure(2, 2, 1);
        meter.Record(predictedMs: 10, measuredMs: 12);
        meter.Record(predictedMs: 4, measuredMs: 40); // one outlier (a pause) is left out
        Assert.Equal(SpeedSource.Prior, meter.Current.Source);
        meter.Record(predictedMs: 2, measuredMs: 2.6);

        Assert.Equal(new SpeedReading((12 + 2.6) / (10 + 2), SpeedSource.Measured, 3), meter.Current);
    }

    [Fact]
    public void Current_QuotaThrottlesSomePasses_ReadsTheSlowdownAMedianWouldMiss()
    {
        // A 0.25-core quota: short passes run at full speed until the period's 25 ms are spent, then one
        // waits out the remaining 75 ms. Two of three passes look unthrottled.
        var meter = new DeviceSpeedMeter();
        meter.Configure(0.25, 1, 1);
        for (var i = 0; i < DeviceSpeedMeter.Window; i++) meter.Record(predictedMs: 10, measuredMs: i % 3 == 2 ? 85 : 10);

        Assert.InRange(meter.Current.Speed, 3.4, 3.6); // (10 x 10 + 5 x 85) / (15 x 10) = 3.5: the throttled passes all count
    }

    [Fact]
    public void Current_QuotaStopsOnePassInAShortWindow_KeepsItAndTheWindowSpansManyPeriods()
    {
        // One core for two threads: a stall of a period's remainder now and then. The window keeps at
        // least a second of passes, and the slowest (the stalled one) is not dropped as a pause.
        var meter = new DeviceSpeedMeter();
        meter.Configure(effectiveCores: 1, threads: 2, emulationFactor: 1);
        for (var i = 0; i < 200; i++) meter.Record(predictedMs: 4, measuredMs: i % 20 == 19 ? 54 : 4);

        var reading = meter.Current;
        Assert.True(reading.Samples > DeviceSpeedMeter.Window, $"{reading.Samples} passes");
        Assert.InRange(reading.Speed, 1.5, 1.8); // (19 x 4 + 54) / (20 x 4) = 1.625
    }

    /// <summary>
    /// A phone at 0.1 core (one inference thread) serving requests of ten atoms, 5 ms predicted each: one
    /// request's chain takes 14 to 26 times its prediction, whichever share of each 100 ms period its
    /// other work took first (`adamec run --upto 9` at 0.1 core measured 701 to 1297 ms for one chain).
    /// Reported after every request and signalled, as a device grain or planner does, when it moves by
    /// more than 25% from the value last signalled.
    /// </summary>
    private static (int Signals, double Min, double Max, string Readings) ThrottledPhone(DeviceSpeedMeter meter, int requests, Func<Random, double> ratio)
    {
        var random = new Random(20261205);
        var signalled = double.NaN;
        var (signals, min, max) = (0, double.MaxValue, 0.0);
        var readings = new List<string>();
        for (var request = 0; request < requests; request++)
        {
            var r = ratio(random);
            for (var atom = 0; atom < 10; atom++) meter.Record(predictedMs: 5, measuredMs: 5 * r);
            var speed = meter.Current.Speed;
            if (request < 10) continue; // the window fills
            (min, max) = (Math.Min(min, speed), Math.Max(max, speed));
            readings.Add(FormattableString.Invariant($"{speed:0.0}"));
            if (double.IsNaN(signalled) || Math.Abs(speed / signalled - 1) > 0.25)
            {
                if (!double.IsNaN(signalled)) signals++;
                signalled = speed;
            }
        }
        return (signals, min, max, string.Join(" ", readings));
    }

    [Fact]
    public void Current_ThrottledChainsSwingByAThird_ReadingStaysWithinTheSignalThreshold()
    {
        // Fifteen passes and a second of them were one or two requests here: readings from 14x to 26x,
        // each a re-plan (`adamec demo`: 15 of 23 plan decisions, the tail of GoogLeNet flapping).
        var meter = new DeviceSpeedMeter();
        meter.Configure(effectiveCores: 0.1, threads: 1, emulationFactor: 1);

        var (signals, min, max, readings) = ThrottledPhone(meter, requests: 120, r => 14 + 12 * r.NextDouble());

        Assert.True(signals == 0, $"{signals} signals from jitter alone; readings {min:0.0}x to {max:0.0}x: {readings}");
        Assert.InRange(min, 16, 20);
        Assert.InRange(max, 20, 24);
    }

    [Fact]
    public void Current_ThrottledDeviceReallyHalvesItsSpeed_ReadsItWithinAFewRequests()
    {
        // The same phone, then something else takes half of its quota: chains take 40 times their
        // prediction. Three such requests (6 s of passes) move the reading beyond the signal threshold;
        // five (10 s) fill the throttled window.
        var meter = new DeviceSpeedMeter();
        meter.Configure(effectiveCores: 0.1, threads: 1, emulationFactor: 1);
        ThrottledPhone(meter, requests: 30, _ => 20);
        Assert.Equal(20, meter.Current.Speed, 6);

        for (var request = 0; request < 5; request++)
        {
            for (var atom = 0; atom < 10; atom++) meter.Record(predictedMs: 5, measuredMs: 5 * 40);
            if (request == 2) Assert.True(meter.Current.Speed > 1.25 * 20, $"{meter.Current.Speed:0.0}x after three slower requests");
        }

        Assert.Equal(40, meter.Current.Speed, 6);
    }

    [Fact]
    public void Record_Unthrottled_KeepsTheShortWindow()
    {
        // Without a quota the window is the newest second of passes: a change reads within it.
        var meter = new DeviceSpeedMeter();
        meter.Configure(effectiveCores: Environment.ProcessorCount, threads: 1, emulationFactor: 1);
        for (var i = 0; i < 100; i++) meter.Record(50, 100);
        for (var i = 0; i < 20; i++) meter.Record(50, 50);

        Assert.Equal(1, meter.Current.Speed, 6);
    }

    [Fact]
    public void Record_AtomsPredictedUnderTheMinimumOrNonsense_AreNotTimed()
    {
        var meter = new DeviceSpeedMeter();
        meter.Configure(2, 2, 1);
        for (var i = 0; i < 5; i++) meter.Record(DeviceSpeedMeter.MinPredictedMs / 2, 5);
        meter.Record(double.NaN, 1);
        meter.Record(1, 0);

        Assert.Equal(0, meter.Current.Samples);
        Assert.Equal(SpeedSource.Prior, meter.Current.Source);
    }

    [Fact]
    public void Record_MoreThanTheWindow_KeepsTheNewest()
    {
        var meter = new DeviceSpeedMeter();
        meter.Configure(2, 2, 1);
        // Passes long enough that the newest Window of them span more than MinWindowMs.
        for (var i = 0; i < DeviceSpeedMeter.Window; i++) meter.Record(100, 500);
        for (var i = 0; i < DeviceSpeedMeter.Window; i++) meter.Record(100, 200);

        Assert.Equal(new SpeedReading(2, SpeedSource.Measured, DeviceSpeedMeter.Window), meter.Current);
    }

    [Fact]
    public void Configure_QuotaHalvedAfterAMeasurement_ScalesItUntilPassesAreTimedUnderTheNewQuota()
    {
        var meter = new DeviceSpeedMeter();
        meter.Configure(effectiveCores: 1, threads: 2, emulationFactor: 1);
        for (var i = 0; i < 3; i++) meter.Record(10, 15);
        Assert.Equal(1.5, meter.Current.Speed, 6);

        meter.Configure(effectiveCores: 0.5, threads: 2, emulationFactor: 1);

        Assert.Equal(new SpeedReading(3, SpeedSource.Quota, 0), meter.Current);
        for (var i = 0; i < 3; i++) meter.Record(10, 28);
        Assert.Equal(new SpeedReading(2.8, SpeedSource.Measured, 3), meter.Current);
    }

    [Fact]
    public void Configure_SameCoresAgain_KeepsTheMeasurement()
    {
        var meter = new DeviceSpeedMeter();
        meter.Configure(1, 2, 1);
        for (var i = 0; i < 3; i++) meter.Record(10, 15);

        meter.Configure(1, 2, 1);

        Assert.Equal(new SpeedReading(1.5, SpeedSource.Measured, 3), meter.Current);
    }

    [Fact]
    public void Configure_MoreCoresThanThreads_DoesNotChangeTheSpeed()
    {
        // One thread per atom keeps one core busy: a quota going from 2 to 4 cores gives it nothing.
        var meter = new DeviceSpeedMeter();
        meter.Configure(2, 1, 1);
        for (var i = 0; i < 3; i++) meter.Record(10, 15);

        meter.Configure(4, 1, 1);

        Assert.Equal(new SpeedReading(1.5, SpeedSource.Measured, 3), meter.Current);
    }
}
