using Adapters.Core.Adapters;

public class PositionSpecTests
{
    [Theory]
    [InlineData("f7+l7", 7, 7)]
    [InlineData("f5", 5, 0)]
    [InlineData("l3", 0, 3)]
    [InlineData("F2+L1", 2, 1)]
    public void Parses_pyreft_position_strings(string text, int first, int last)
    {
        var spec = PositionSpec.Parse(text);
        Assert.Equal((first, last), (spec.First, spec.Last));
        Assert.Equal(spec, PositionSpec.Parse(spec.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("x7")]
    [InlineData("f0+l0")]
    [InlineData("f-1")]
    public void Rejects_malformed_positions_naming_the_text(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => PositionSpec.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
    }

    [Fact]
    public void Long_prompt_gets_first_k_as_prefix_and_last_k_as_suffix()
    {
        var assigned = PositionSpec.Parse("f2+l3").Assign(8);
        Assert.Equal(new byte[] { 1, 1, 0, 0, 0, 2, 2, 2 }, assigned);
    }

    [Fact]
    public void Short_prompt_edits_each_position_once_with_prefix_winning_overlaps()
    {
        var assigned = PositionSpec.Parse("f2+l3").Assign(3);
        Assert.Equal(new byte[] { 1, 1, 2 }, assigned);
    }
}
