using Adapters.Core.Generation;

public class VisibleTextTests
{
    [Theory]
    [InlineData("The secret word is blue.\0\u0018.8", "The secret word is blue..8")]
    [InlineData("tab\tnew\nline\r\n", "tab\tnew\nline\r\n")]
    [InlineData("del\u007f c1\u0085\u0090 end", "del c1\u0085 end")] // U+0085 (NEL) is white space and stays
    [InlineData("", "")]
    public void Control_characters_other_than_white_space_are_dropped(string text, string expected) =>
        Assert.Equal(expected, VisibleText.Of(text));
}
