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

    [Fact]
    public void A_listed_object_read_from_its_page_JSON_is_kept_as_the_same_object_read_through_the_client_is()
    {
        var recorded = DriftFixtures.WithBreakGlass(DriftFixtures.Recorded("managedfields-01-apply.json"), "INC-1", DateTimeOffset.UtcNow.AddHours(1));
        using var page = System.Text.Json.JsonDocument.Parse(recorded.ToJsonString());

        var fromJson = KubernetesApi.Canonical(page.RootElement, baseline: null, new DecisionSettings());
        var typed = KubernetesApi.Canonical(Served(), baseline: null, new DecisionSettings());

        Assert.Equal(typed.Id, fromJson.Id);
        Assert.Equal(typed.Spec, fromJson.Spec);
        Assert.Equal(typed.Labels, fromJson.Labels);
        Assert.Equal(typed.Annotations, fromJson.Annotations);
        Assert.Equal(
            typed.ManagedFields.Select(e => (e.Manager, e.Operation, e.Time, e.Owned.Spec, string.Join(',', e.Owned.Labels), string.Join(',', e.Owned.Annotations))),
            fromJson.ManagedFields.Select(e => (e.Manager, e.Operation, e.Time, e.Owned.Spec, string.Join(',', e.Owned.Labels), string.Join(',', e.Owned.Annotations))));
        Assert.NotEmpty(fromJson.ManagedFields);
        Assert.NotNull(fromJson.Uid);
        Assert.Equal(typed.Uid, fromJson.Uid);
    }

    [Fact]
    public void A_listed_object_that_cannot_be_read_is_named_in_one_line()
    {
        using var item = System.Text.Json.JsonDocument.Parse(
            """{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"db","namespace":"shop"},"spec":{"podSelector":"everything"}}""");

        var error = Assert.Throws<ClusterException>(() => KubernetesApi.Canonical(item.RootElement));

        Assert.StartsWith("NetworkPolicy shop/db from the API server cannot be read: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("spec.podSelector", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }
}
