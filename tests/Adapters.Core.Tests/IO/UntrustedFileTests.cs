using System.Net.Sockets;
using Adapters.Core.IO;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.IO;

/// <summary>
/// Reading files someone else controls: only regular files (a named pipe, device, socket or folder is
/// refused by its type, at once), never beyond the size limit (by the reported size and by the bytes
/// read), and — when confined — only where the opened handle really lies, which a path swapped
/// for a link after opening cannot change.
/// </summary>
public sealed class UntrustedFileTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("untrusted-file");
    string Root => Path.Combine(_dir, "root");
    string Outside => Path.Combine(_dir, "outside");

    public UntrustedFileTests()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string folder, string name, string text)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    static InvalidFileException Refused(string path, long limit = 1 << 20, FileConfinement? confinement = null) =>
        Assert.ThrowsAny<InvalidFileException>(() => UntrustedFile.Read(path, limit, "a test file", confinement ?? FileConfinement.Anywhere));

    [Fact]
    public void Regular_file_is_read_whole_with_its_real_path()
    {
        string path = Write(Root, "a.json", "{\"x\": 1}");
        var read = UntrustedFile.Read(path, 100, "a test file", new FileConfinement([Root]));
        Assert.Equal("{\"x\": 1}"u8.ToArray(), read.Bytes);
        Assert.Equal(path, read.RealPath);
    }

    [Fact]
    public void Named_pipe_is_refused_at_once_without_waiting_for_a_writer()
    {
        string fifo = Path.Combine(Root, "pipe");
        SpecialFiles.Fifo(fifo);
        try { Assert.Contains("not a regular file (a named pipe)", Refused(fifo).Message); }
        finally { SpecialFiles.ReleaseFifo(fifo); }
    }

    [Theory]
    [InlineData("/dev/zero", "a character device")]
    [InlineData("/dev/null", "a character device")]
    [InlineData("/tmp", "a directory")]
    public void Device_or_folder_is_refused_by_its_type(string path, string kind)
    {
        Assert.Contains($"not a regular file ({kind})", Refused(path).Message);
    }

    [Fact]
    public void Unix_socket_is_refused()
    {
        string path = Path.Combine(Root, "sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        Assert.Contains("a socket", Refused(path).Message);
    }

    [Fact]
    public void Huge_sparse_file_is_refused_by_its_size_before_reading_naming_the_limit_not_the_size()
    {
        string path = Path.Combine(Root, "huge");
        SpecialFiles.Sparse(path, 64L << 30);
        var error = Refused(path, limit: 4096);
        Assert.Contains("larger than the 4,096-byte limit for a test file", error.Message);
        Assert.DoesNotContain((64L << 30).ToString(), error.Message);
    }

    [Fact]
    public void File_reporting_no_size_is_still_held_to_the_limit_by_what_is_read()
    {
        // /proc files report size 0 and have content.
        Assert.Contains("limit", Refused("/proc/self/status", limit: 16).Message);
        Assert.NotEmpty(UntrustedFile.Read("/proc/self/status", 1 << 20, "a test file", FileConfinement.Anywhere).Bytes);
    }

    [Fact]
    public void Link_inside_the_root_to_a_file_outside_is_refused_saying_nothing_about_it()
    {
        string secret = Write(Outside, "secret", "top secret");
        string link = Path.Combine(Root, "innocent.json");
        File.CreateSymbolicLink(link, secret);

        var error = Assert.Throws<OutsideConfinementException>(() => UntrustedFile.Read(link, 100, "a test file", new FileConfinement([Root])));
        Assert.Equal(link, error.Path);
        Assert.DoesNotContain("secret", error.Message);
    }

    [Fact]
    public void Link_that_stays_inside_the_root_is_followed()
    {
        string target = Write(Root, "real.json", "{}");
        string link = Path.Combine(Root, "alias.json");
        File.CreateSymbolicLink(link, target);
        Assert.Equal(target, UntrustedFile.Read(link, 100, "a test file", new FileConfinement([Root])).RealPath);
    }

    [Fact]
    public void Named_pipe_outside_the_root_is_refused_as_outside_before_its_type_is_looked_at()
    {
        string fifo = Path.Combine(Outside, "pipe");
        SpecialFiles.Fifo(fifo);
        string link = Path.Combine(Root, "pipe");
        File.CreateSymbolicLink(link, fifo);
        try { Assert.Throws<OutsideConfinementException>(() => UntrustedFile.Read(link, 100, "a test file", new FileConfinement([Root]))); }
        finally { SpecialFiles.ReleaseFifo(fifo); }
    }

    [Fact]
    public void Folder_held_open_keeps_reading_the_folder_it_opened_after_its_path_is_swapped_for_a_link()
    {
        string folderPath = Path.Combine(Root, "adapter");
        Directory.CreateDirectory(folderPath);
        Write(folderPath, "manifest.json", "inside");
        Write(Outside, "manifest.json", "outside");
        using var folder = UntrustedFolder.Open(folderPath, new FileConfinement([Root]));

        Directory.Move(folderPath, folderPath + "-parked");
        Directory.CreateSymbolicLink(folderPath, Outside);

        Assert.Equal("inside"u8.ToArray(), folder.Read("manifest.json", 100, "a test file").Bytes);
        Assert.Equal(["manifest.json"], folder.FileNames(".json"));
        // Opened anew, the path now leads outside: refused.
        Assert.Throws<OutsideConfinementException>(() => UntrustedFolder.Open(folderPath, new FileConfinement([Root])));
    }

    [Theory]
    [InlineData("adapter.safetensors", true)]
    [InlineData("a b.json", true)]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("../x", false)]
    [InlineData("sub/x", false)]
    [InlineData("/etc/passwd", false)]
    [InlineData("a\\b", false)]
    [InlineData("a\0b", false)]
    public void Manifest_relative_names_must_be_plain_file_names(string name, bool plain)
    {
        Assert.Equal(plain, UntrustedFolder.IsPlainName(name));
        using var folder = UntrustedFolder.Open(Root, FileConfinement.Anywhere);
        if (!plain) Assert.Contains("not a plain file name", Assert.Throws<InvalidFileException>(() => folder.Read(name, 100, "a test file")).Message);
    }

    [Fact]
    public void Root_of_the_file_system_confines_nothing_away()
    {
        Assert.True(new FileConfinement(["/"]).Contains("/etc/passwd"));
        Assert.False(new FileConfinement([Root]).Contains(Root + "-sibling/x"));
        Assert.True(new FileConfinement([Root]).Contains(Root));
    }
}
