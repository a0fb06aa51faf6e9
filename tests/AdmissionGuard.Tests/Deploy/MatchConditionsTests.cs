using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace AdmissionGuard.Tests.Deploy;

/// <summary>
/// The enforce overlays skip, at the API server, the requests the guard would allow anyway: the trusted
/// accounts (the same list as the ConfigMap's) and Kubernetes' own deleters.
/// </summary>
public sealed partial class MatchConditionsTests
{
    private static readonly string[] DefaultSystemDeleters =
    [
        "system:serviceaccount:kube-system:namespace-controller",
        "system:serviceaccount:kube-system:generic-garbage-collector",
        "system:kube-controller-manager",
    ];

    [SkippableTheory]
    [MemberData(nameof(Overlay.Enforcing), MemberType = typeof(Overlay))]
    public void The_trusted_users_skipped_are_exactly_the_config_map_s_trusted_users(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var condition = Condition(rendered, "skip-trusted-users");

        Assert.StartsWith("!", condition.Expression, StringComparison.Ordinal);
        Assert.Contains("request.userInfo.username", condition.Expression, StringComparison.Ordinal);
        Assert.DoesNotContain("request.operation", condition.Expression, StringComparison.Ordinal);
        var configured = rendered.SettingsList("AdmissionGuard__Trusted__Users");
        Assert.NotEmpty(configured);
        Assert.Equal(configured.Order(StringComparer.Ordinal), condition.Accounts.Order(StringComparer.Ordinal));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Enforcing), MemberType = typeof(Overlay))]
    public void The_trusted_groups_skipped_are_exactly_the_config_map_s_trusted_groups(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var configured = rendered.SettingsList("AdmissionGuard__Trusted__Groups");
        var conditions = Conditions(rendered).Where(c => c.Expression.Contains("request.userInfo.groups", StringComparison.Ordinal)).ToList();

        if (configured.Count == 0)
        {
            Assert.Empty(conditions);
        }
        else
        {
            var condition = Assert.Single(conditions);
            Assert.Equal(configured.Order(StringComparer.Ordinal), condition.Accounts.Order(StringComparer.Ordinal));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Enforcing), MemberType = typeof(Overlay))]
    public void Deletes_by_kubernetes_deleters_are_skipped_and_nothing_else_they_do(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var condition = Condition(rendered, "skip-kubernetes-deleters");

        Assert.StartsWith("!", condition.Expression, StringComparison.Ordinal);
        Assert.Contains("request.operation == 'DELETE' &&", condition.Expression, StringComparison.Ordinal);
        var configured = rendered.SettingsList("AdmissionGuard__Trusted__SystemDeleters");
        var expected = configured.Count > 0 ? configured : DefaultSystemDeleters;
        Assert.Equal(
            expected.Order(StringComparer.Ordinal),
            condition.Accounts.Where(a => a != "DELETE").Order(StringComparer.Ordinal));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Enforcing), MemberType = typeof(Overlay))]
    public void Spec_unchanged_updates_are_skipped_only_while_metadata_is_not_governed(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var compareMetadata = rendered.Settings.TryGetValue("AdmissionGuard__CompareMetadata", out var value)
            && bool.TryParse(value, out var parsed) && parsed;

        var specConditions = Conditions(rendered).Where(c => c.Expression.Contains("object.spec == oldObject.spec", StringComparison.Ordinal)).ToList();
        if (compareMetadata)
        {
            Assert.Empty(specConditions);
        }
        else
        {
            var condition = Assert.Single(specConditions);
            Assert.Contains("request.operation == 'UPDATE' &&", condition.Expression, StringComparison.Ordinal);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Enforcing), MemberType = typeof(Overlay))]
    public void Conditions_are_named_uniquely_and_validly(string path)
    {
        var conditions = Overlay.Named(path).Render().Webhook.Maps("matchConditions");

        Assert.InRange(conditions.Count, 1, 64);
        Assert.Equal(conditions.Count, conditions.Select(c => c.Text("name")).Distinct(StringComparer.Ordinal).Count());
        Assert.All(conditions, c => Assert.Matches(QualifiedName(), c.Text("name")));
    }

    private static CelCondition Condition(Rendered rendered, string name) =>
        Assert.Single(Conditions(rendered), c => c.Name == name);

    private static IReadOnlyList<CelCondition> Conditions(Rendered rendered) =>
        [.. rendered.Webhook.Maps("matchConditions").Select(CelCondition.From)];

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex QualifiedName();

    /// <summary>A matchCondition and the accounts it names: string literals, a <c>startsWith('p')</c> read as the prefix entry <c>p*</c>.</summary>
    private sealed partial record CelCondition(string Name, string Expression, IReadOnlyList<string> Accounts)
    {
        public static CelCondition From(YamlMappingNode condition)
        {
            var expression = condition.Text("expression").Trim();
            var accounts = Literal().Matches(expression)
                .Select(m => m.Groups["prefix"].Success ? m.Groups["text"].Value + "*" : m.Groups["text"].Value)
                .ToList();
            return new CelCondition(condition.Text("name"), expression, accounts);
        }

        [GeneratedRegex(@"(?<prefix>startsWith\(\s*)?'(?<text>[^'\\]*)'")]
        private static partial Regex Literal();
    }
}
