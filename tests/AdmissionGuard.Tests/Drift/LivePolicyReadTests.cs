using AdmissionGuard.Cluster;
using k8s;
using k8s.Models;

namespace AdmissionGuard.Tests.Drift;

/// <summary>A live NetworkPolicy as the drift report keeps it: what it judges, not kubectl's copy of the whole object.</summary>
public sealed class LivePolicyReadTests
{
    [Fact]
    public void Kubectls_last_applied_copy_is_not_kept_and_the_other_annotations_are()
    {
        var recorded = DriftFixtures.WithBreakGlass(DriftFixtures.Recorded("managedfields-01-apply.json"), "INC-1", DateTimeOffset.UtcNow.AddHours(1));
        var served = KubernetesJson.Deserialize<V1NetworkPolicy>(recorded.ToJsonString());
        Assert.Contains(KubernetesApi.LastAppliedAnnotation, served.Metadata.Annotations.Keys);

        var live = KubernetesApi.Canonical(served);

        Assert.DoesNotContain(KubernetesApi.LastAppliedAnnotation, live.Annotations.Keys);
        Assert.Equal("INC-1", live.Annotations["admissionguard.io/break-glass"]);
        Assert.NotEmpty(live.ManagedFields);
        Assert.Equal(served.Metadata.Uid, live.Uid);
    }
}
