using System.ComponentModel;
using System.Diagnostics;
using AdmissionGuard.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace AdmissionGuard.Tests.Deploy;

/// <summary>
/// The alert rules of <c>deploy/components/alerts</c> through promtool. The PrometheusRule is the only copy of the
/// rules: everything below its <c>spec:</c> line is a Prometheus rules file, written out as <c>rules.yaml</c> beside a
/// copy of <c>tests/</c>, whose unit tests load it as <c>../rules.yaml</c> (docs/alerts.md, "Testing the rules").
/// </summary>
public sealed class AlertRulesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static string Component { get; } = Path.Combine(Kustomize.RepositoryRoot, "deploy", "components", "alerts");

    [SkippableFact]
    public void Promtool_accepts_the_rules()
    {
        Prerequisite.Command("promtool", "the alert rule tests run promtool check rules and promtool test rules");
        using var work = Extract();

        var (exitCode, output) = Promtool(work.Path, "check", "rules", work.Combine("rules.yaml"));

        Assert.True(exitCode == 0, $"promtool check rules exited {exitCode}:\n{output}");
        Assert.Contains($"SUCCESS: {Alerts().Count} rules found", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Every_alert_fires_and_stays_silent_as_its_promtool_tests_say()
    {
        Prerequisite.Command("promtool", "the alert rule tests run promtool check rules and promtool test rules");
        using var work = Extract();
        var tests = Directory.GetFiles(work.Combine("tests"), "*.yaml").Order(StringComparer.Ordinal).ToArray();

        var (exitCode, output) = Promtool(work.Path, ["test", "rules", .. tests]);

        Assert.True(tests.Length > 0, "no promtool test files in deploy/components/alerts/tests");
        Assert.True(exitCode == 0, $"promtool test rules exited {exitCode}:\n{output}");
    }

    [Fact]
    public void Every_alert_has_a_case_that_fires_and_one_that_stays_silent()
    {
        var firing = new HashSet<string>(StringComparer.Ordinal);
        var silent = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(Path.Combine(Component, "tests"), "*.yaml"))
        {
            var root = Load(File.ReadAllText(file));
            Assert.Equal(["../rules.yaml"], root.Texts("rule_files"));
            foreach (var check in root.Maps("tests").SelectMany(t => t.Maps("alert_rule_test")))
            {
                var expected = check.Get("exp_alerts") as YamlSequenceNode;
                (expected is { Children.Count: > 0 } ? firing : silent).Add(check.Text("alertname"));
            }
        }

        var alerts = Alerts().Select(a => a.Text("alert")).ToList();

        Assert.Equal(8, alerts.Count);
        Assert.All(alerts, alert => Assert.Contains(alert, firing));
        Assert.All(alerts, alert => Assert.Contains(alert, silent));
        Assert.Subset(alerts.ToHashSet(StringComparer.Ordinal), firing.Union(silent).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>The alerting rules, from the PrometheusRule as committed.</summary>
    public static IReadOnlyList<YamlMappingNode> Alerts() =>
        [.. Load(File.ReadAllText(Path.Combine(Component, "prometheusrule.yaml")))
            .Maps("spec", "groups")
            .SelectMany(g => g.Maps("rules"))];

    /// <summary>
    /// rules.yaml (the lines below <c>spec:</c>, as <c>sed '1,/^spec:$/d'</c> cuts them) and a copy of tests/ in a
    /// temporary folder.
    /// </summary>
    private static TempDirectory Extract()
    {
        var lines = File.ReadAllLines(Path.Combine(Component, "prometheusrule.yaml"));
        var spec = Array.IndexOf(lines, "spec:");
        Assert.True(spec > 0, "prometheusrule.yaml has no top-level 'spec:' line");
        var rules = lines[(spec + 1)..];
        Assert.All(rules, line => Assert.True(
            line.Length == 0 || line[0] is ' ' or '#',
            $"prometheusrule.yaml: spec must be the last top-level key (the rules file is everything below it), found: {line}"));

        var work = new TempDirectory();
        File.WriteAllLines(work.Combine("rules.yaml"), rules);
        Directory.CreateDirectory(work.Combine("tests"));
        foreach (var file in Directory.GetFiles(Path.Combine(Component, "tests"), "*.yaml"))
        {
            File.Copy(file, work.Combine("tests", Path.GetFileName(file)));
        }

        return work;
    }

    private static (int ExitCode, string Output) Promtool(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("promtool")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("promtool is not on PATH (Debian package prometheus)", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"promtool {string.Join(' ', arguments)} took longer than {Timeout}");
            }

            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
    }

    private static YamlMappingNode Load(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }
}
