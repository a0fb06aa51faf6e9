using System.Text;
using AdmissionGuard.Core.Decisions;

namespace AdmissionGuard.Core.Tests;

/// <summary>Warnings as kubectl shows them: one per line, each at most 120 characters, all under 4 KB.</summary>
public class WarningLinesTests
{
    public static TheoryData<string, string, string[]> Shapes => new()
    {
        { "one warning per line", "first\nsecond", ["first", "second"] },
        { "blank lines are dropped and lines trimmed", "first\n\n   \n  second  \n", ["first", "second"] },
        { "Windows line endings leave no carriage return", "first\r\nsecond", ["first", "second"] },
        { "a line of exactly 120 characters is kept whole", new string('a', 120), [new string('a', 120)] },
        { "a longer line is cut to 120 characters with an ellipsis", new string('a', 121), [new string('a', 117) + "..."] },
        { "an empty message has no warnings", "", [] },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Message_becomes_warning_lines(string behaviour, string message, string[] expected)
    {
        var lines = WarningLines.From(message);

        Assert.True(expected.SequenceEqual(lines), $"{behaviour}: {string.Join(" | ", lines)}");
    }

    public static TheoryData<string, string> Long => new()
    {
        { "many short ASCII lines", string.Join('\n', Enumerable.Range(1, 500).Select(i => $"- spec.ingress: rule added: from ipBlock 10.{i / 256}.{i % 256}.0/24 port TCP/{1000 + i}")) },
        { "many long ASCII lines", string.Join('\n', Enumerable.Range(1, 100).Select(i => $"{i}: " + new string('x', 300))) },
        { "many lines of two-byte characters", string.Join('\n', Enumerable.Range(1, 100).Select(_ => new string('é', 120))) },
        { "many lines of four-byte characters", string.Join('\n', Enumerable.Range(1, 100).Select(_ => string.Concat(Enumerable.Repeat("😀", 60)))) },
    };

    [Theory]
    [MemberData(nameof(Long))]
    public void Long_message_stays_within_the_limits_and_says_how_much_was_left_out(string behaviour, string message)
    {
        var source = message.Split('\n');

        var lines = WarningLines.From(message);

        Assert.All(lines, line => Assert.True(line.Length <= 120, $"{behaviour}: {line.Length} characters"));
        Assert.True(lines.Sum(line => Encoding.UTF8.GetByteCount(line)) < 4096, behaviour);
        var kept = lines.Length - 1;
        Assert.Equal($"+{source.Length - kept} more", lines[^1]);
        Assert.True(kept > 0, behaviour);
        for (var i = 0; i < kept; i++)
        {
            Assert.StartsWith(lines[i].EndsWith("...", StringComparison.Ordinal) ? lines[i][..^3] : lines[i], source[i], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Message_within_the_limits_is_not_cut()
    {
        var message = string.Join('\n', Enumerable.Range(1, 30).Select(i => $"line {i}: " + new string('x', 100)));

        var lines = WarningLines.From(message);

        Assert.Equal(30, lines.Length);
        Assert.DoesNotContain(lines, line => line.EndsWith(" more", StringComparison.Ordinal));
    }

    [Fact]
    public void Cutting_a_line_never_splits_a_character_in_two()
    {
        var line = new string('x', 116) + string.Concat(Enumerable.Repeat("😀", 10));

        var cut = Assert.Single(WarningLines.From(line));

        Assert.True(cut.Length <= 120);
        Assert.EndsWith("...", cut, StringComparison.Ordinal);
        Assert.True(System.Text.Unicode.Utf8.FromUtf16(cut, new byte[cut.Length * 3], out _, out _, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done, "lone surrogate in " + cut);
    }
}
