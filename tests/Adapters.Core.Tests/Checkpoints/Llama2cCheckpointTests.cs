using Adapters.Core.IO;
using System.Globalization;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.Checkpoints;

/// <summary>llama2.c's legacy .bin checkpoint: round trips and the errors for damaged files.</summary>
public sealed class Llama2cCheckpointTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("llama2c-checkpoint");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string WriteSmall(bool sharedClassifier = true, string name = "model.bin")
    {
        string path = Path.Combine(_dir, name);
        Llama2cCheckpoint.Write(RandomCheckpoint.Create(CheckpointAssert.SmallConfig(sharedClassifier), seed: 1), path);
        return path;
    }

    static string Size(long bytes) => bytes.ToString("N0", CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Write_then_Read_is_bit_identical(bool sharedClassifier)
    {
        var weights = RandomCheckpoint.Create(CheckpointAssert.SmallConfig(sharedClassifier), seed: 1);
        string path = Path.Combine(_dir, "model.bin");
        Llama2cCheckpoint.Write(weights, path);
        CheckpointAssert.BitIdentical(weights, Llama2cCheckpoint.Read(path));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void File_size_is_what_the_header_implies(bool sharedClassifier)
    {
        string path = WriteSmall(sharedClassifier);
        Assert.Equal(Llama2cCheckpoint.ExpectedFileSize(CheckpointAssert.SmallConfig(sharedClassifier)), new FileInfo(path).Length);
    }

    [Fact]
    public void A_separate_classifier_is_stored_as_a_negative_vocab_size()
    {
        string path = WriteSmall(sharedClassifier: false);
        using var reader = new BinaryReader(File.OpenRead(path));
        reader.BaseStream.Seek(5 * sizeof(int), SeekOrigin.Begin);
        Assert.Equal(-40, reader.ReadInt32());
    }

    [Fact]
    public void Reads_stories260K_with_its_documented_shape()
    {
        var c = Llama2cCheckpoint.Read(SharedModels.Stories260K).Config;
        Assert.Equal((64, 172, 5, 8, 4, 512, 512, true), (c.Dim, c.HiddenDim, c.NumLayers, c.NumHeads, c.NumKvHeads, c.VocabSize, c.MaxSeqLen, c.SharedClassifier));
    }

    [Fact]
    public void Truncated_file_reports_truncation_with_expected_and_actual_size()
    {
        string path = WriteSmall();
        long full = new FileInfo(path).Length;
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(full - 100);

        var e = Assert.Throws<InvalidFileException>(() => Llama2cCheckpoint.Read(path));
        Assert.Equal(path, e.Path);
        Assert.Contains("truncated", e.Message);
        Assert.Contains(Size(full - 100), e.Message);
        Assert.Contains(Size(full), e.Message);
    }

    [Fact]
    public void Header_that_does_not_match_the_file_size_names_both_sizes()
    {
        string path = WriteSmall();
        long actual = new FileInfo(path).Length;
        using (var f = new FileStream(path, FileMode.Open)) { f.Seek(2 * sizeof(int), SeekOrigin.Begin); f.Write(BitConverter.GetBytes(1)); } // n_layers 2 → 1
        long implied = Llama2cCheckpoint.ExpectedFileSize(CheckpointAssert.SmallConfig() with { NumLayers = 1 });

        var e = Assert.Throws<InvalidFileException>(() => Llama2cCheckpoint.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"file is {Size(actual)} bytes", e.Message);
        Assert.Contains($"implies {Size(implied)} bytes", e.Message);
        Assert.Contains("layers 1", e.Message);
    }

    [Fact]
    public void Header_with_an_impossible_field_is_named()
    {
        string path = WriteSmall();
        using (var f = new FileStream(path, FileMode.Open)) { f.Seek(3 * sizeof(int), SeekOrigin.Begin); f.Write(BitConverter.GetBytes(0)); } // n_heads = 0

        var e = Assert.Throws<InvalidFileException>(() => Llama2cCheckpoint.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("n_heads = 0", e.Message);
    }

    [Fact]
    public void File_shorter_than_the_header_is_reported()
    {
        string path = Path.Combine(_dir, "tiny.bin");
        File.WriteAllBytes(path, new byte[10]);
        var e = Assert.Throws<InvalidFileException>(() => Llama2cCheckpoint.Read(path));
        Assert.Contains("10 bytes", e.Message);
        Assert.Contains("header", e.Message);
    }

    [Fact]
    public void Missing_file_is_reported()
    {
        string path = Path.Combine(_dir, "absent.bin");
        var e = Assert.Throws<InvalidFileException>(() => CheckpointLoader.Load(path));
        Assert.Equal(path, e.Path);
        Assert.Contains("no such file", e.Message);
    }
}
