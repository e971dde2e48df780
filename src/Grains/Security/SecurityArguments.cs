namespace AdaMec.Grains.Security;

/// <summary>Command-line switches of adamec-silo that take several values.</summary>
public static class SecurityArguments
{
    /// <summary>The switch listing trusted atom-signing public keys: <c>--trusted-keys A.pub B.pub ...</c>.</summary>
    public const string TrustedKeys = "--trusted-keys";

    /// <summary>
    /// Rewrites <c>--trusted-keys A B ...</c> (values up to the next switch) into indexed configuration
    /// keys (Security:TrustedKeys:0, :1, ...), which the .NET command-line provider understands.
    /// </summary>
    /// <exception cref="ArgumentException">--trusted-keys without a file.</exception>
    public static string[] Expand(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var expanded = new List<string>(args.Length);
        var index = 0;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] != TrustedKeys)
            {
                expanded.Add(args[i]);
                continue;
            }
            var start = index;
            while (i + 1 < args.Length && !args[i + 1].StartsWith('-'))
            {
                expanded.Add($"--{SecurityOptions.SectionName}:TrustedKeys:{index++}");
                expanded.Add(args[++i]);
            }
            if (index == start) throw new ArgumentException($"{TrustedKeys} needs at least one public key file (NAME.pub)");
        }
        return [.. expanded];
    }
}
