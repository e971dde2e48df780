// Build-time fix for TorchSharp's native shim on Debian 12 (see docs/lab-notes.md).
// libLibTorchSharp.so lists a version need on GLIBCXX_3.4.32 for one symbol,
// std::ios_base_library_init, which nothing calls. Debian 12's libstdc++ stops at 3.4.30, so the
// loader refuses the library and TorchSharp reports a misleading TypeInitializationException.
// Marking that version need weak (VER_FLG_WEAK) lets the loader accept the library; every other
// version need stays mandatory. The patch is idempotent and only touches copies in an output folder.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class ElfVersionNeedPatcher : Task
{
    private const ushort VerFlagWeak = 0x2;
    private const uint ShtGnuVerneed = 0x6ffffffe;

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    [Required] public string VersionName { get; set; } = "";

    public override bool Execute()
    {
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            try
            {
                var patched = Patch(path, VersionName);
                Log.LogMessage(MessageImportance.Normal,
                    patched ? $"Marked {VersionName} weak in {path}" : $"{path}: {VersionName} already weak or absent");
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log.LogError($"Could not patch {path}: {ex.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    private static bool Patch(string path, string versionName)
    {
        var elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only 64-bit little-endian ELF files are supported");

        var sectionHeaders = (long)BitConverter.ToUInt64(elf, 0x28);
        int headerSize = BitConverter.ToUInt16(elf, 0x3A);
        int count = BitConverter.ToUInt16(elf, 0x3C);
        var changed = false;

        for (var i = 0; i < count; i++)
        {
            var header = sectionHeaders + (long)i * headerSize;
            if (BitConverter.ToUInt32(elf, (int)header + 4) != ShtGnuVerneed) continue;

            var offset = (long)BitConverter.ToUInt64(elf, (int)header + 0x18);
            var link = BitConverter.ToUInt32(elf, (int)header + 0x28);
            var entries = BitConverter.ToUInt32(elf, (int)header + 0x2C);
            var strings = (long)BitConverter.ToUInt64(elf, (int)(sectionHeaders + link * headerSize) + 0x18);

            var need = offset;
            for (var n = 0; n < entries; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                var aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (var a = 0; a < auxCount; a++)
                {
                    var flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                    var name = ReadString(elf, strings + BitConverter.ToUInt32(elf, (int)aux + 8));
                    if (name == versionName && (flags & VerFlagWeak) == 0)
                    {
                        BitConverter.GetBytes((ushort)(flags | VerFlagWeak)).CopyTo(elf, aux + 4);
                        changed = true;
                    }
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                need += BitConverter.ToUInt32(elf, (int)need + 12);
            }
        }

        if (changed) File.WriteAllBytes(path, elf);
        return changed;
    }

    private static string ReadString(byte[] data, long start)
    {
        var end = start;
        while (data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)start, (int)(end - start));
    }
}
