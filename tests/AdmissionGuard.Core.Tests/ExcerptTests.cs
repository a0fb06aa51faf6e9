using System.Text;

namespace AdmissionGuard.Core.Tests;

/// <summary>Text quoted from a request into an answer: cut, escaped, never split inside a character.</summary>
public class ExcerptTests
{
    public static TheoryData<string, string, int, string> Cases() => new()
    {
        { "short text is shown whole", "shop/web", 100, "shop/web" },
        { "long text is cut and says how much more there was", new string('x', 250), 100, new string('x', 100) + "…(150 more)" },
        { "a line feed is escaped", "a\nb", 100, "a\\nb" },
        { "carriage return and tab are escaped", "a\r\tb", 100, "a\\r\\tb" },
        { "other controls are escaped as code points", "a\u001b[31mb\u007f", 100, "a\\u001b[31mb\\u007f" },
        { "a bidirectional override is escaped", "evil\u202egpj.exe", 100, "evil\\u202egpj.exe" },
        { "a cut never splits a surrogate pair", "ab\U0001F600cd", 3, "ab…(4 more)" },
        { "escapes count as the character they replace", "\n\n\n\n", 2, "\\n\\n…(2 more)" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void An_excerpt_is_cut_and_escaped(string because, string text, int maxLength, string expected)
    {
        Assert.True(expected == Excerpt.Of(text, maxLength), because);
    }

    [Fact]
    public void Text_that_needs_neither_cut_nor_escape_is_returned_without_a_copy()
    {
        var text = "system:serviceaccount:argocd:argocd-application-controller";

        Assert.Same(text, Excerpt.Of(text));
    }

    [Fact]
    public void Quoted_text_escapes_quotes_and_backslashes_as_Gos_q_verb_does()
    {
        Assert.Equal("\"say \\\"hi\\\" \\\\ \\n\"", Excerpt.Quoted("say \"hi\" \\ \n"));
        Assert.Equal("\"" + new string('v', 100) + "\"…(900 more)", Excerpt.Quoted(new string('v', 1000)));
    }

    [Theory]
    [InlineData(511, "X\n")]
    [InlineData(511, "é")]
    [InlineData(100, "\U0001F600")]
    [InlineData(64, "\u0001")]
    public void A_line_fits_its_byte_budget_whatever_the_characters(int maxBytes, string unit)
    {
        var text = string.Concat(Enumerable.Repeat(unit, 100_000));

        var line = Excerpt.Line(text, maxBytes);

        Assert.InRange(Encoding.UTF8.GetByteCount(line), maxBytes - 8, maxBytes);
        Assert.DoesNotContain('\n', line);
        Assert.Matches(@"…\(\d+ more\)$", line);
    }
}
