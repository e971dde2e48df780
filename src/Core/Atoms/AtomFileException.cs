namespace AdaMec.Core.Atoms;

/// <summary>An atom file or manifest that cannot be used; the message names the atom and the problem.</summary>
public sealed class AtomFileException : Exception
{
    public AtomFileException(string? atomId, string problem, Exception? inner = null)
        : base(atomId is null ? problem : $"atom {atomId}: {problem}", inner)
    {
        AtomId = atomId;
        Problem = problem;
    }

    public string? AtomId { get; }

    public string Problem { get; }
}
