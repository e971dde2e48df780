using System.CommandLine;
using AdaMec.Core.Atoms;

namespace AdaMec.Cli.Commands;

/// <summary>
/// `adamec sign --atoms DIR --key NAME.key`: signs every atom of DIR/manifest.json (ECDSA P-256 over
/// each atom's spec, which holds its weights' SHA-256) and rewrites the manifest. Silos started with
/// `--trusted-keys NAME.pub` load only atoms whose signature verifies.
/// </summary>
internal static class SignCommand
{
    public static Command Create()
    {
        var atoms = new Option<DirectoryInfo>("--atoms") { Description = "atoms folder written by `adamec partition`", Required = true };
        var key = new Option<FileInfo>("--key") { Description = "private key NAME.key (adamec keygen signing)", Required = true };
        var command = new Command("sign", "sign an atoms folder's manifest so silos with --trusted-keys accept its atoms") { atoms, key };
        command.SetAction(parse =>
        {
            var folder = parse.GetRequiredValue(atoms).FullName;
            var manifest = AtomSigning.SignManifest(folder, parse.GetRequiredValue(key).FullName);
            Console.WriteLine($"signed {manifest.Atoms.Count} atoms of {manifest.Model} in {folder}");
            return 0;
        });
        return command;
    }
}
