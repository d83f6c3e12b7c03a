// Compiled by MSBuild's RoslynCodeTaskFactory (netstandard2.0 surface, no nullable context).
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

// Sets VER_FLG_WEAK on one symbol-version requirement of an ELF64 little-endian shared library,
// but only when the system libstdc++ does not provide that version itself.
public class MarkGlibcxxVersionWeak : Task
{
    [Required] public string LibraryPath { get; set; } = "";
    [Required] public string VersionName { get; set; } = "";

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlagWeak = 0x2;

    static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
    };

    public override bool Execute()
    {
        string systemLib = Array.Find(LibStdCxxCandidates, File.Exists);
        if (systemLib == null)
        {
            Log.LogMessage(MessageImportance.Low, "No system libstdc++ found; leaving " + LibraryPath + " as is.");
            return true;
        }
        if (ContainsAscii(File.ReadAllBytes(systemLib), VersionName + "\0"))
        {
            Log.LogMessage(MessageImportance.Low, systemLib + " provides " + VersionName + "; no patch needed.");
            return true;
        }
        try
        {
            byte[] elf = File.ReadAllBytes(LibraryPath);
            switch (MarkWeak(elf))
            {
                case Outcome.Patched:
                    string tmp = LibraryPath + ".tmp";
                    File.WriteAllBytes(tmp, elf);
                    if (File.Exists(LibraryPath)) File.Delete(LibraryPath);
                    File.Move(tmp, LibraryPath);
                    Log.LogMessage(MessageImportance.High, "TorchSharp native fix: marked " + VersionName + " weak in " + LibraryPath);
                    break;
                case Outcome.AlreadyWeak:
                    Log.LogMessage(MessageImportance.Low, VersionName + " already weak in " + LibraryPath);
                    break;
                case Outcome.NotRequired:
                    Log.LogMessage(MessageImportance.Low, LibraryPath + " does not require " + VersionName);
                    break;
            }
            return true;
        }
        catch (Exception e)
        {
            Log.LogError("TorchSharp native fix failed for " + LibraryPath + ": " + e.Message);
            return false;
        }
    }

    enum Outcome { Patched, AlreadyWeak, NotRequired }

    Outcome MarkWeak(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("only ELF64 little-endian is supported");
        ulong shoff = BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            int sh = checked((int)shoff + s * shentsize);
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            int offset = checked((int)BitConverter.ToUInt64(elf, sh + 0x18));
            int link = (int)BitConverter.ToUInt32(elf, sh + 0x28);
            int strtab = checked((int)BitConverter.ToUInt64(elf, checked((int)shoff + link * shentsize) + 0x18));
            int verneed = offset;
            while (true)
            {
                int count = BitConverter.ToUInt16(elf, verneed + 2);
                int aux = verneed + (int)BitConverter.ToUInt32(elf, verneed + 8);
                for (int a = 0; a < count; a++)
                {
                    string name = ReadCString(elf, strtab + (int)BitConverter.ToUInt32(elf, aux + 8));
                    if (name == VersionName)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, aux + 4);
                        if ((flags & VerFlagWeak) != 0) return Outcome.AlreadyWeak;
                        BitConverter.GetBytes((ushort)(flags | VerFlagWeak)).CopyTo(elf, aux + 4);
                        return Outcome.Patched;
                    }
                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }
                uint next = BitConverter.ToUInt32(elf, verneed + 12);
                if (next == 0) break;
                verneed += (int)next;
            }
        }
        return Outcome.NotRequired;
    }

    static string ReadCString(byte[] data, int start)
    {
        int end = start;
        while (data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, start, end - start);
    }

    static bool ContainsAscii(byte[] haystack, string needle)
    {
        byte[] n = Encoding.ASCII.GetBytes(needle);
        for (int i = 0; i + n.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < n.Length && haystack[i + j] == n[j]) j++;
            if (j == n.Length) return true;
        }
        return false;
    }
}
