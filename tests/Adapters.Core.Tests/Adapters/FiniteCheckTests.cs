using Adapters.Core.Adapters;
using Adapters.Core.IO;

/// <summary>
/// The finite check reads a vector at a time: it must find a NaN or infinity wherever it lies
/// (in a full vector or in the scalar tail) and name its first index, and accept every finite
/// float, the extremes included.
/// </summary>
public class FiniteCheckTests
{
    public static TheoryData<float> NonFinite => [float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001))];

    [Theory]
    [MemberData(nameof(NonFinite))]
    public void Finds_the_first_non_finite_value_at_every_position(float bad)
    {
        for (int length = 1; length <= 70; length++)
            for (int at = 0; at < length; at++)
            {
                var values = Enumerable.Range(0, length).Select(i => i * 0.5f - 3).ToArray();
                values[at] = bad;
                if (at + 3 < length) values[at + 3] = float.NaN; // a later one is not the one named
                var error = Assert.Throws<InvalidFileException>(() => AdapterFolder.EnsureFinite("f", "t", values));
                Assert.EndsWith($"at flat index {at}", error.Message);
            }
    }

    [Fact]
    public void Accepts_every_kind_of_finite_value()
    {
        float[] values = [float.MaxValue, float.MinValue, float.Epsilon, -float.Epsilon, 0f, -0f, 1e-40f, BitConverter.Int32BitsToSingle(0x7F7FFFFF), 1f, -1f];
        var many = Enumerable.Repeat(values, 13).SelectMany(v => v).ToArray();
        AdapterFolder.EnsureFinite("f", "t", many);
        AdapterFolder.EnsureFinite("f", "t", []);
    }
}
