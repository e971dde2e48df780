namespace AdaMec.Prediction.Learning;

/// <summary>
/// Per-input standardisation for the TorchSharp networks (f_mem and the learners' network
/// ensemble): each input minus its training mean, over its training standard deviation.
/// </summary>
internal sealed record FeatureScaling(float[] Mean, float[] Std)
{
    /// <summary>Means and standard deviations of <paramref name="rows"/>; a constant input keeps scale 1, so it stays 0.</summary>
    public static FeatureScaling Fit(IReadOnlyList<float[]> rows, int width)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var mean = new float[width];
        var std = new float[width];
        for (var j = 0; j < width; j++)
        {
            var m = rows.Average(r => (double)r[j]);
            var s = Math.Sqrt(rows.Average(r => (r[j] - m) * (r[j] - m)));
            mean[j] = (float)m;
            std[j] = s > 1e-6 ? (float)s : 1f;
        }
        return new FeatureScaling(mean, std);
    }

    public float[] Apply(float[] raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var v = new float[raw.Length];
        for (var j = 0; j < raw.Length; j++) v[j] = (raw[j] - Mean[j]) / Std[j];
        return v;
    }
}
