using AdmissionGuard.Core.Decisions;

namespace AdmissionGuard.Core.Tests;

/// <summary>Which labels and annotations are governed when CompareMetadata is on.</summary>
public class MetadataFilterTests
{
    private static readonly MetadataFilter Defaults = new(DecisionSettings.DefaultIgnoredMetadataKeys);

    public static TheoryData<string, string, bool> Keys => new()
    {
        { "kubectl's last applied configuration", "kubectl.kubernetes.io/last-applied-configuration", true },
        { "another kubectl annotation is governed", "kubectl.kubernetes.io/restartedAt", false },
        { "Argo CD's instance label", "app.kubernetes.io/instance", true },
        { "other app.kubernetes.io labels are governed", "app.kubernetes.io/name", false },
        { "anything under argocd.argoproj.io/", "argocd.argoproj.io/tracking-id", true },
        { "anything under kustomize.toolkit.fluxcd.io/", "kustomize.toolkit.fluxcd.io/namespace", true },
        { "anything under meta.helm.sh/", "meta.helm.sh/release-name", true },
        { "anything under admissionguard.io/, break-glass included", "admissionguard.io/break-glass-expires", true },
        { "a domain that only starts like an ignored prefix", "meta.helm.sh.example/x", false },
        { "the prefix's domain without the slash", "argocd.argoproj.io", false },
        { "an ordinary label", "team", false },
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public void Default_ignored_keys_are_exact_or_end_in_a_slash_for_a_prefix(string behaviour, string key, bool ignored)
    {
        Assert.True(Defaults.IsIgnored(key) == ignored, behaviour);
    }

    [Fact]
    public void Filtering_removes_only_ignored_keys()
    {
        var labels = Policies.Spec("{}", """{"labels":{"team":"a","argocd.argoproj.io/instance":"x","app.kubernetes.io/instance":"y"}}""").Labels;

        var filtered = Defaults.Filter(labels);

        Assert.Equal(["team"], filtered.Keys.ToArray());
        Assert.True(Defaults.Same(labels, Policies.Spec("{}", """{"labels":{"team":"a"}}""").Labels));
        Assert.False(Defaults.Same(labels, Policies.Spec("{}", """{"labels":{"team":"b"}}""").Labels));
    }
}
