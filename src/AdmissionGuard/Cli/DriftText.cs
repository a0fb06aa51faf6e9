using AdmissionGuard.Core;
using Spectre.Console;

namespace AdmissionGuard.Cli;

/// <summary>
/// The drift report for people: one line per drifted policy (its differences below it), a summary
/// line, and what to do. Coloured on a terminal; plain when redirected or when NO_COLOR is set.
/// </summary>
public static class DriftText
{
    /// <summary>Colours only on a terminal, and never with NO_COLOR set (https://no-color.org) or TERM=dumb.</summary>
    public static bool UseColour(bool outputRedirected, Func<string, string?> environment) =>
        !outputRedirected
        && string.IsNullOrEmpty(environment("NO_COLOR"))
        && environment("TERM") != "dumb";

    public static IAnsiConsole Console(TextWriter writer, bool colour)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = colour ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = colour ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        // Never wrap: a terminal wraps long lines itself, and CI logs and files should keep each line whole.
        console.Profile.Width = 4096;
        return console;
    }

    /// <param name="git">What was compared on the Git side, e.g. <c>main@1a2b3c4 (https://...)</c>.</param>
    /// <param name="live">What was compared on the live side, e.g. <c>live.yaml</c>.</param>
    /// <param name="scope">The namespace globs, when the scope was limited.</param>
    public static void Write(IAnsiConsole console, DriftReport report, string git, string live, IReadOnlyCollection<string> scope)
    {
        var limited = scope.Count > 0 ? $", namespaces {string.Join(", ", scope)}" : "";
        console.MarkupLine($"[grey]Git {Markup.Escape(git)} vs {Markup.Escape(live)}{Markup.Escape(limited)}[/]");
        if (!report.HasDrift)
        {
            console.MarkupLine($"[green]No drift:[/] {(report.Declared == 1 ? "the NetworkPolicy" : $"all {report.Declared} NetworkPolicies")} in Git match the cluster.");
            return;
        }

        console.WriteLine();
        var width = report.Items.Max(i => i.Id.ToString().Length);
        foreach (var item in report.Items)
        {
            var id = Markup.Escape(item.Id.ToString().PadRight(width));
            var where = item.Where is { } path ? Markup.Escape($"{path}@{report.ShortCommit}") : "";
            var note = item.Type switch
            {
                DriftType.Missing => " [grey](not in the cluster)[/]",
                DriftType.Unmanaged => "[grey](not in Git)[/]",
                _ => "",
            };
            console.MarkupLine($"{Label(item.Type)}  {id}  {where}{note}");
            if (Provenance(item) is { } provenance)
            {
                console.MarkupLine($"             {provenance}");
            }

            foreach (var difference in item.Differences)
            {
                console.MarkupLine($"             - {Markup.Escape(difference)}");
            }
        }

        console.WriteLine();
        var parts = new[] { DriftType.Modified, DriftType.Missing, DriftType.Unmanaged }
            .Where(t => report.Count(t) > 0)
            .Select(t => $"{report.Count(t)} {DriftJson.TypeName(t)}");
        console.MarkupLine($"[red bold]Drift:[/] {string.Join(", ", parts)} ({Counts(report)}).");
        if (report.BreakGlassExpired > 0)
        {
            var expired = report.Items.Where(i => i.BreakGlass is { Expired: true }).Select(i => Markup.Escape(i.Id.ToString()));
            console.MarkupLine($"[red bold]Break-glass expired:[/] {string.Join(", ", expired)} still {(report.BreakGlassExpired == 1 ? "differs" : "differ")} from Git.");
        }

        if (report.Modified > 0)
        {
            console.MarkupLine("Fix modified: let the GitOps sync restore Git's version, or change the file in Git if the live version is right.");
        }

        if (report.Missing > 0)
        {
            console.MarkupLine("Fix missing: check the GitOps sync of these files; it should create them.");
        }

        if (report.Unmanaged > 0)
        {
            console.MarkupLine("Fix unmanaged: add them to Git, or delete them (kubectl delete networkpolicy -n NAMESPACE NAME).");
        }

        if (report.BreakGlassExpired > 0)
        {
            console.MarkupLine("Fix expired break-glass: commit the change to Git or restore Git's version, then remove the break-glass annotations.");
        }

        if (report.Modified + report.Missing > 0)
        {
            console.MarkupLine(Markup.Escape("Or restore Git's version now: admissionguard drift --fix (prints the plan; --yes applies it, --prune also deletes unmanaged ones)."));
        }
    }

    /// <summary><c>changed by kubectl-edit (Update) at ...; break-glass "INC-7" expired ...</c>, an expired break-glass in red.</summary>
    private static string? Provenance(DriftItem item)
    {
        var parts = new List<string>(2);
        if (item.LastChange is { } change)
        {
            parts.Add($"[grey]changed by {Markup.Escape(change.ToString())}[/]");
        }

        if (item.BreakGlass is { } breakGlass)
        {
            parts.Add(breakGlass.Expired ? $"[red]{Markup.Escape(breakGlass.ToString())}[/]" : $"[grey]{Markup.Escape(breakGlass.ToString())}[/]");
        }

        return parts.Count == 0 ? null : string.Join("[grey]; [/]", parts);
    }

    private static string Counts(DriftReport report) =>
        $"{Plural(report.Declared, "NetworkPolicy", "NetworkPolicies")} in Git, {report.Live} live";

    private static string Plural(int count, string one, string many) => $"{count} {(count == 1 ? one : many)}";

    private static string Label(DriftType type) => type switch
    {
        DriftType.Missing => "[red]MISSING  [/]",
        DriftType.Unmanaged => "[fuchsia]UNMANAGED[/]",
        _ => "[yellow]MODIFIED [/]",
    };
}
