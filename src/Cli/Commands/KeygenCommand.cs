using System.CommandLine;
using AdaMec.Interfaces.Security;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec keygen cluster --out FILE` (the cluster key every silo is started with),
/// `adamec keygen credential --cluster-key FILE --role initiator|operator --name NAME --out FILE`
/// (a caller's credential, derived from the cluster key) and `adamec keygen signing --out NAME`
/// (NAME.key and NAME.pub for signing atoms). Files are written readable by their owner only and
/// never overwritten. docs/security.md says which file goes where.
/// </summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var clusterOut = new Option<FileInfo>("--out") { Description = "where to write the cluster key (refuses to overwrite)", Required = true };
        var cluster = new Command("cluster", "a new random cluster key: give it to every silo (--cluster-key-file) and keep it off phones") { clusterOut };
        cluster.SetAction(parse =>
        {
            var file = parse.GetRequiredValue(clusterOut);
            Refuse(file);
            ClusterCredential.NewClusterKey().Save(file.FullName);
            Console.WriteLine($"cluster key written to {file.FullName} (owner read/write only)");
            return 0;
        });

        var key = new Option<FileInfo>("--cluster-key") { Description = "the cluster key file", Required = true };
        var role = new Option<string>("--role") { Description = "initiator (deploy, infer: its own deployments) or operator (pin, budgets, link declarations, status)", Required = true };
        role.AcceptOnlyFromAmong("initiator", "operator");
        var name = new Option<string>("--name") { Description = "who holds it: for an initiator, its device id (AdaMecClient DeviceId, `adamec client --device`)", Required = true };
        var credentialOut = new Option<FileInfo>("--out") { Description = "where to write the credential (refuses to overwrite)", Required = true };
        var credential = new Command("credential", "a caller's credential derived from the cluster key: one role, one name") { key, role, name, credentialOut };
        credential.SetAction(parse =>
        {
            var file = parse.GetRequiredValue(credentialOut);
            Refuse(file);
            var clusterKey = ClusterCredential.Load(parse.GetRequiredValue(key).FullName);
            if (clusterKey.Role != ClusterRole.Silo) throw new ArgumentException($"--cluster-key: '{parse.GetRequiredValue(key).FullName}' holds a credential of role {ClusterCredential.Lower(clusterKey.Role)}, not the cluster key");
            var chosen = parse.GetRequiredValue(role) == "initiator" ? ClusterRole.Initiator : ClusterRole.Operator;
            clusterKey.Derive(chosen, parse.GetRequiredValue(name)).Save(file.FullName);
            Console.WriteLine($"{parse.GetRequiredValue(role)} credential '{parse.GetRequiredValue(name)}' written to {file.FullName}");
            return 0;
        });

        var signingOut = new Option<string>("--out") { Description = "NAME: writes NAME.key (private, owner-only) and NAME.pub (give it to silos: --trusted-keys)", Required = true };
        var signing = new Command("signing", "an ECDSA P-256 key pair for signing atoms (adamec sign)") { signingOut };
        signing.SetAction(parse =>
        {
            var (keyFile, pubFile) = Core.Atoms.AtomSigning.GenerateKeyPair(parse.GetRequiredValue(signingOut));
            Console.WriteLine($"signing key written to {keyFile} (owner read/write only), public key to {pubFile}");
            return 0;
        });

        return new Command("keygen", "make keys: the cluster key, callers' credentials, atom-signing key pairs") { cluster, credential, signing };
    }

    private static void Refuse(FileInfo file)
    {
        if (file.Exists) throw new ArgumentException($"--out: '{file.FullName}' exists; a key is never overwritten (remove it first)");
    }
}
