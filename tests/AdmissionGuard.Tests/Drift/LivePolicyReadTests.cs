using AdmissionGuard.Cluster;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using k8s;
using k8s.Models;

namespace AdmissionGuard.Tests.Drift;

/// <summary>A live NetworkPolicy as the drift scanner keeps it: what decisions can judge, not kubectl's copy of the whole object.</summary>
public sealed class LivePolicyReadTests
{
    private static V1NetworkPolicy Served()
    {
        var recorded = DriftFixtures.WithBreakGlass(DriftFixtures.Recorded("managedfields-01-apply.json"), "INC-1", DateTimeOffset.UtcNow.AddHours(1));
        var served = KubernetesJson.Deserialize<V1NetworkPolicy>(recorded.ToJsonString());
        Assert.Contains(KubernetesApi.LastAppliedAnnotation, served.Metadata.Annotations.Keys);
        return served;
    }

    [Fact]
    public void Kubectls_last_applied_copy_is_not_kept_when_no_decision_compares_it_and_the_other_annotations_are()
    {
        var served = Served();

        var live = KubernetesApi.Canonical(served, baseline: null, new DecisionSettings());

        Assert.DoesNotContain(KubernetesApi.LastAppliedAnnotation, live.Annotations.Keys);
        Assert.Equal("INC-1", live.Annotations["admissionguard.io/break-glass"]);
        Assert.NotEmpty(live.ManagedFields);
        Assert.Contains(KubernetesApi.LastAppliedAnnotation, KubernetesApi.Canonical(served).Annotations.Keys);
    }

    [Fact]
    public void Compared_metadata_that_does_not_ignore_the_last_applied_copy_keeps_it_as_admission_does()
    {
        var settings = new DecisionSettings { CompareMetadata = new MetadataFilter(["app.kubernetes.io/instance"]) };

        var live = KubernetesApi.Canonical(Served(), baseline: null, settings);

        Assert.Contains(KubernetesApi.LastAppliedAnnotation, live.Annotations.Keys);
    }
}
