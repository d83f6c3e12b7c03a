using Adapters.Core.Tokenizers;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.Tokenizers;

/// <summary>The shared tokenizer files, each loaded once per test run.</summary>
static class ReferenceTokenizers
{
    static readonly Lazy<Llama2cTokenizer> LazyLlama2Bin = new(() => Llama2cTokenizer.Load(SharedModels.Llama2TokenizerBin, 32000));
    static readonly Lazy<SentencePieceTokenizer> LazyLlama2Model = new(() => SentencePieceTokenizer.Load(SharedModels.Llama2TokenizerModel, 32000));
    static readonly Lazy<Llama2cTokenizer> LazyTok512 = new(() => Llama2cTokenizer.Load(SharedModels.Tok512, 512));

    /// <summary>LLaMA-2's 32k vocabulary in llama2.c format.</summary>
    public static Llama2cTokenizer Llama2Bin => LazyLlama2Bin.Value;

    /// <summary>LLaMA-2's 32k vocabulary as the original SentencePiece model.</summary>
    public static SentencePieceTokenizer Llama2Model => LazyLlama2Model.Value;

    /// <summary>stories260K's 512-token vocabulary.</summary>
    public static Llama2cTokenizer Tok512 => LazyTok512.Value;

    /// <summary>
    /// Sentences covering ASCII, punctuation, digits, accents, CJK, emoji and control characters;
    /// the last groups need byte fallback in the 32k vocabulary.
    /// </summary>
    public static readonly TheoryData<string> Sentences = new()
    {
        "Hello world",
        "The quick brown fox jumps over the lazy dog.",
        "Punctuation: (a), [b]; {c}! \"quoted\" 'single' -- dash... ok? x<y && y>z",
        "Digits 0123456789, 3.14159 and 2024-11-24.",
        "Accented: café, naïve, Zürich, São Paulo, Ærøskøbing, Łódź.",
        "CJK: 中文字符 日本語のテキスト 한국어",
        "Emoji: 😀🚀👍🏽 and ❤️ 🦙",
        "Rare script: ᚠᛇᚻ ꦲꦏ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "Tabs\tand\nnew lines\r\n",
        " leading space",
        "trailing space ",
        "Once upon a time, there was a little girl named Lily.",
    };
}
