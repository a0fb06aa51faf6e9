using AdmissionGuard.Cli;
using AdmissionGuard.Core;

namespace AdmissionGuard.Tests.Drift;

/// <summary>The text report: coloured only on a terminal without NO_COLOR, and the same words either way.</summary>
public sealed class DriftTextTests
{
    private static readonly DriftReport Report = new(
        "0123456789abcdef0123456789abcdef01234567", "main", DateTimeOffset.UnixEpoch, 2, 2,
        [
            new DriftItem("shop", "db", DriftType.Modified, ["spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432"], "shop/db.yaml"),
            new DriftItem("shop", "[debug]", DriftType.Unmanaged, [], null),
        ]);

    public static TheoryData<string, bool, string?, string?, bool> Terminals => new()
    {
        { "a terminal", false, null, "xterm-256color", true },
        { "output redirected to a file or a CI log", true, null, "xterm-256color", false },
        { "NO_COLOR set", false, "1", "xterm-256color", false },
        { "NO_COLOR empty counts as unset", false, "", "xterm-256color", true },
        { "a dumb terminal", false, null, "dumb", false },
    };

    [Theory]
    [MemberData(nameof(Terminals))]
    public void Colour_is_used_only_on_a_terminal_without_NO_COLOR(string behaviour, bool redirected, string? noColor, string? term, bool expected)
    {
        var environment = new Dictionary<string, string?> { ["NO_COLOR"] = noColor, ["TERM"] = term };

        Assert.True(expected == DriftText.UseColour(redirected, name => environment.GetValueOrDefault(name)), behaviour);
    }

    [Fact]
    public void Coloured_and_plain_reports_say_the_same_and_only_the_coloured_one_has_escape_codes()
    {
        var (coloured, plain) = (new StringWriter(), new StringWriter());

        var terminal = DriftText.Console(coloured, colour: true);
        terminal.Profile.Width = 200;
        DriftText.Write(terminal, Report, "main@0123456 (repo)", "live.yaml", []);
        DriftText.Write(DriftText.Console(plain, colour: false), Report, "main@0123456 (repo)", "live.yaml", []);

        Assert.Contains("\u001b[", coloured.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", plain.ToString(), StringComparison.Ordinal);
        Assert.Equal(plain.ToString(), System.Text.RegularExpressions.Regex.Replace(coloured.ToString(), "\u001b\\[[0-9;]*m", ""));
        Assert.Contains("UNMANAGED  shop/[debug]  (not in Git)", plain.ToString(), StringComparison.Ordinal);
    }
}
