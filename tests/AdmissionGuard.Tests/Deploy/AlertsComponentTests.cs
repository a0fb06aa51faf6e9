using System.Text;
using System.Text.RegularExpressions;
using AdmissionGuard.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace AdmissionGuard.Tests.Deploy;

/// <summary>
/// deploy/components/alerts: a Component an overlay adds (never part of the shipped kustomizations), whose
/// ServiceMonitor scrapes the ops port as the job the rules expect, and whose runbook links lead to docs/alerts.md.
/// </summary>
public sealed partial class AlertsComponentTests
{
    private const string RunbookBase = "https://github.com/OWNER/admissionguard/blob/main/docs/alerts.md#";

    private static readonly string AlertsDoc = Path.Combine(Kustomize.RepositoryRoot, "docs", "alerts.md");

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void No_shipped_kustomization_includes_the_alerts(string path)
    {
        var rendered = Overlay.Named(path).Render();

        Assert.Empty(rendered.OfKind("PrometheusRule"));
        Assert.Empty(rendered.OfKind("ServiceMonitor"));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Added_to_an_overlay_it_renders_the_rules_and_a_service_monitor_of_the_ops_port(string path)
    {
        using var deploy = Kustomize.CopyOfDeploy();
        var overlay = Directory.CreateDirectory(deploy.Combine("deploy", "overlays", "with-alerts")).FullName;
        File.WriteAllText(Path.Combine(overlay, "kustomization.yaml"), $"""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - ../../{path}
            components:
              - ../../components/alerts
            """);

        var rendered = Kustomize.RenderFolder(overlay);

        var rule = rendered.Single("PrometheusRule", "admissionguard");
        Assert.Equal(Rendered.Namespace, rule.Text("metadata", "namespace"));
        Assert.Equal(
            AlertRulesTests.Alerts().Select(a => a.Text("alert")),
            rule.Maps("spec", "groups").SelectMany(g => g.Maps("rules")).Select(r => r.Text("alert")));
        var monitor = rendered.Single("ServiceMonitor", "admissionguard");
        Assert.Equal(Rendered.Namespace, monitor.Text("metadata", "namespace"));
        var scraped = Assert.Single(rendered.OfKind("Service"), service =>
            Selects(monitor.Map("spec", "selector", "matchLabels"), service.Map("metadata", "labels"))
            && service.Maps("spec", "ports").Any(p => monitor.Maps("spec", "endpoints").Any(e => e.Text("port") == p.TextOrNull("name"))));
        Assert.Equal("admissionguard-metrics", scraped.Text("metadata", "name"));
        var endpoint = Assert.Single(monitor.Maps("spec", "endpoints"));
        var port = scraped.Seq("spec", "ports").Named(endpoint.Text("port"));
        Assert.Equal(new Uri(rendered.EnvValue("Kestrel__Endpoints__Ops__Url")).Port, rendered.ContainerPort(port.Text("targetPort")));
        Assert.Equal("/metrics", endpoint.Text("path"));
        var job = scraped.Text("metadata", "labels", monitor.Text("spec", "jobLabel"));
        Assert.Equal($"absent(up{{job=\"{job}\"}} == 1)", Absent(rule).Text("expr"));
    }

    [SkippableFact]
    public void The_overlay_in_the_docs_renders_with_its_runbook_links_and_selection_label()
    {
        using var deploy = Kustomize.CopyOfDeploy();
        var local = Directory.CreateDirectory(deploy.Combine("deploy", "local")).FullName;
        var files = DocumentedFiles();
        Assert.Equal(["kustomization.yaml", "runbooks.yaml"], files.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, text) in files)
        {
            File.WriteAllText(Path.Combine(local, name), text);
        }

        var rendered = Kustomize.RenderFolder(local);

        var url = Load(files["runbooks.yaml"]).Text("data", "url");
        var rule = rendered.Single("PrometheusRule", "admissionguard");
        Assert.All(Rules(rule), r => Assert.Equal($"{url}#{r.Text("alert").ToLowerInvariant()}", r.Text("annotations", "runbook_url")));
        Assert.Equal("kube-prometheus-stack", rule.Text("metadata", "labels", "release"));
        Assert.Equal("kube-prometheus-stack", rendered.Single("ServiceMonitor", "admissionguard").Text("metadata", "labels", "release"));
        Assert.Null(rendered.Find("ConfigMap", "admissionguard-runbooks"));
        Assert.NotNull(rendered.Find("Deployment", "admissionguard"));
    }

    [Fact]
    public void Every_alert_has_a_severity_a_summary_a_description_and_a_runbook_section_in_docs_alerts_md()
    {
        var anchors = File.ReadAllLines(AlertsDoc)
            .Where(line => line.StartsWith('#'))
            .Select(line => Anchor(line.TrimStart('#')))
            .ToHashSet(StringComparer.Ordinal);
        var alerts = AlertRulesTests.Alerts();

        Assert.All(alerts, alert =>
        {
            var name = alert.Text("alert");
            Assert.Contains(alert.Text("labels", "severity"), new[] { "warning", "critical" });
            Assert.False(string.IsNullOrWhiteSpace(alert.TextOrNull("annotations", "summary")), name);
            Assert.False(string.IsNullOrWhiteSpace(alert.TextOrNull("annotations", "description")), name);
            var url = alert.Text("annotations", "runbook_url");
            Assert.StartsWith(RunbookBase, url, StringComparison.Ordinal);
            var anchor = url[RunbookBase.Length..];
            Assert.Equal(name.ToLowerInvariant(), anchor);
            Assert.Contains(anchor, anchors);
        });

        // docs/alerts.md patches /spec/groups/0/rules/0 for another job label.
        Assert.Equal("AdmissionGuardAbsent", alerts[0].Text("alert"));
    }

    /// <summary>GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.</summary>
    private static string Anchor(string heading)
    {
        var anchor = new StringBuilder();
        foreach (var c in heading.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                anchor.Append(c);
            }
            else if (c == ' ')
            {
                anchor.Append('-');
            }
        }

        return anchor.ToString();
    }

    /// <summary>The code blocks of docs/alerts.md whose first line is <c># deploy/local/FILE</c>, by FILE.</summary>
    private static Dictionary<string, string> DocumentedFiles() =>
        DocumentedFile().Matches(File.ReadAllText(AlertsDoc).ReplaceLineEndings("\n"))
            .ToDictionary(m => m.Groups["file"].Value, m => m.Groups["text"].Value, StringComparer.Ordinal);

    [GeneratedRegex(@"^```yaml\n(?<text># deploy/local/(?<file>[a-z.-]+)\n.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex DocumentedFile();

    private static IEnumerable<YamlMappingNode> Rules(YamlMappingNode prometheusRule) =>
        prometheusRule.Maps("spec", "groups").SelectMany(g => g.Maps("rules"));

    private static YamlMappingNode Absent(YamlMappingNode prometheusRule) =>
        Rules(prometheusRule).Single(r => r.Text("alert") == "AdmissionGuardAbsent");

    private static bool Selects(YamlMappingNode matchLabels, YamlMappingNode labels) =>
        matchLabels.Children.Count > 0
        && matchLabels.Children.All(e => labels.TextOrNull(((YamlScalarNode)e.Key).Value!) == ((YamlScalarNode)e.Value).Value);

    private static YamlMappingNode Load(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }
}
