using System.Net;
using System.Text.Json.Nodes;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Policy;
using Microsoft.Extensions.Logging;
using static AdmissionGuard.Tests.Drift.RecordingCluster;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// Events on drifted NetworkPolicies, recorded by the reporting replica (<see cref="RecordingCluster"/>): one
/// per transition, a series rather than a flood, and failures that never stop anything.
/// </summary>
public sealed class DriftEventsTests
{
    private static readonly TimeSpan Reminder = AdmissionGuard.Cluster.DriftPublisher.Reminder;

    [Fact]
    public async Task An_item_that_appears_records_one_DriftDetected_Event_on_its_NetworkPolicy()
    {
        await using var cluster = await StartAsync();
        var (publisher, _, _) = cluster.Replica("guard-a");

        await publisher.PublishAsync(Drifted(Db), CancellationToken.None);

        var recorded = Assert.Single(cluster.Stub.KubeEvents);
        Assert.Equal(1, cluster.Stub.EventCreates);
        Assert.Equal("shop", recorded["metadata"]!["namespace"]!.GetValue<string>());
        Assert.StartsWith("db.", recorded["metadata"]!["name"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(
            """{"kind":"NetworkPolicy","namespace":"shop","name":"db","uid":"8d2e4b6a-1c3f-4e5d-9a7b-0c1d2e3f4a5b","apiVersion":"networking.k8s.io/v1"}""",
            Sorted(recorded["regarding"]!, "kind", "namespace", "name", "uid", "apiVersion"));
        Assert.Equal(
            ("Warning", "DriftDetected", "Compare", "admissionguard.io/drift-scanner", "guard-a"),
            (Text(recorded, "type"), Text(recorded, "reason"), Text(recorded, "action"), Text(recorded, "reportingController"), Text(recorded, "reportingInstance")));
        Assert.Equal("NetworkPolicy shop/db differs from Git (shop/db.yaml): spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432", Text(recorded, "note"));
        // A microsecond after the clock's whole second: the API server refuses an eventTime without six digits of fraction.
        Assert.Equal("2026-12-01T21:50:00.000001Z", Text(recorded, "eventTime"));
        Assert.Null(recorded["series"]);
        Assert.Contains("admissionguard_events_total{reason=\"DriftDetected\",result=\"created\"} 1", cluster.MetricsText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_drift_again_after_a_re_list_records_nothing()
    {
        await using var cluster = await StartAsync();
        var (publisher, _, _) = cluster.Replica();
        await publisher.PublishAsync(Drifted(Db, DebugAllowAll, DefaultDeny), CancellationToken.None);
        var requests = cluster.Stub.Requests.Count;

        // A new list gives a new report that says the same.
        cluster.Clock.Advance(TimeSpan.FromMinutes(5));
        await publisher.PublishAsync(Drifted(Db, DebugAllowAll, DefaultDeny), CancellationToken.None);

        Assert.Equal(3, cluster.Stub.KubeEvents.Count);
        Assert.Equal(requests, cluster.Stub.Requests.Count);
    }

    [Fact]
    public async Task The_same_item_after_a_restart_adds_to_the_series_of_its_Event_instead_of_recording_another()
    {
        await using var cluster = await StartAsync();
        await cluster.Replica("guard-a").Publisher.PublishAsync(Drifted(Db), CancellationToken.None);

        // guard-b takes over (or guard-a restarts): it knows nothing of the Event, and finds the same drift.
        cluster.Clock.Advance(TimeSpan.FromSeconds(3.061604));
        var (takenOver, _, _) = cluster.Replica("guard-b");
        await takenOver.PublishAsync(Drifted(Db), CancellationToken.None);

        var recorded = Assert.Single(cluster.Stub.KubeEvents);
        Assert.Equal("""{"count":2,"lastObservedTime":"2026-12-01T21:50:03.061604Z"}""", recorded["series"]!.ToJsonString());
        Assert.Equal("guard-a", Text(recorded, "reportingInstance"));
        Assert.Equal((2, 2), (cluster.Stub.EventCreates, cluster.Stub.EventPatches));
        Assert.Contains("admissionguard_events_total{reason=\"DriftDetected\",result=\"updated\"} 1", cluster.MetricsText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drift_that_lasts_adds_to_its_series_every_30_minutes_so_that_the_Event_does_not_expire()
    {
        await using var cluster = await StartAsync();
        var (publisher, _, _) = cluster.Replica();
        await publisher.PublishAsync(Drifted(Db), CancellationToken.None);

        cluster.Clock.Advance(Reminder - TimeSpan.FromSeconds(1));
        await publisher.PublishAsync(Drifted(Db), CancellationToken.None);
        var beforeDue = cluster.Stub.EventPatches;
        cluster.Clock.Advance(TimeSpan.FromSeconds(1));
        await publisher.PublishAsync(Drifted(Db), CancellationToken.None);
        cluster.Clock.Advance(Reminder);
        await publisher.PublishAsync(Drifted(Db), CancellationToken.None);

        Assert.Equal(0, beforeDue);
        var recorded = Assert.Single(cluster.Stub.KubeEvents);
        Assert.Equal("""{"count":3,"lastObservedTime":"2026-12-01T22:50:00.000000Z"}""", recorded["series"]!.ToJsonString());
        Assert.Equal((1, 2), (cluster.Stub.EventCreates, cluster.Stub.EventPatches));
    }

    [Fact]
    public async Task A_change_records_DriftChanged_as_a_new_Event_and_the_end_DriftResolved()
    {
        await using var cluster = await StartAsync();
        var (publisher, _, _) = cluster.Replica();
        var wider = Db with { Differences = [.. Db.Differences, "spec.egress: rule added: to ipBlock 0.0.0.0/0"] };

        await publisher.PublishAsync(Drifted(Db), CancellationToken.None);
        cluster.Clock.Advance(TimeSpan.FromMinutes(1));
        await publisher.PublishAsync(Drifted(wider), CancellationToken.None);
        cluster.Clock.Advance(TimeSpan.FromMinutes(1));
        await publisher.PublishAsync(Drifted(), CancellationToken.None);

        var events = cluster.Stub.KubeEvents.OrderBy(e => Text(e, "eventTime"), StringComparer.Ordinal).ToList();
        Assert.Equal(["Warning DriftDetected", "Warning DriftChanged", "Normal DriftResolved"], events.Select(e => $"{Text(e, "type")} {Text(e, "reason")}"));
        Assert.Equal(
            "NetworkPolicy shop/db differs from Git (shop/db.yaml): spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432; spec.egress: rule added: to ipBlock 0.0.0.0/0",
            Text(events[1], "note"));
        Assert.Equal("NetworkPolicy shop/db no longer differs from Git (it was modified)", Text(events[2], "note"));
        Assert.All(events, e => Assert.Equal("8d2e4b6a-1c3f-4e5d-9a7b-0c1d2e3f4a5b", e["regarding"]!["uid"]!.GetValue<string>()));
        Assert.Equal(0, cluster.Stub.EventPatches);
    }

    [Fact]
    public async Task An_unmanaged_policy_that_is_deleted_is_resolved_on_the_object_it_was()
    {
        await using var cluster = await StartAsync();
        var (publisher, _, _) = cluster.Replica();
        await publisher.PublishAsync(Drifted(DebugAllowAll), CancellationToken.None);

        await publisher.PublishAsync(Drifted(Live.Remove(DebugAllowAll.Id)), CancellationToken.None);

        var resolved = Assert.Single(cluster.Stub.KubeEvents, e => Text(e, "reason") == "DriftResolved");
        Assert.Equal("c4d5e6f7-0a1b-4c2d-8e9f-a0b1c2d3e4f5", resolved["regarding"]!["uid"]!.GetValue<string>());
        Assert.Equal("NetworkPolicy shop/debug-allow-all no longer differs from Git (it was unmanaged)", Text(resolved, "note"));
    }

    [Fact]
    public async Task Events_the_service_account_may_not_create_are_logged_once_counted_and_never_thrown()
    {
        await using var cluster = await StartAsync();
        cluster.Stub.FailEvents = HttpStatusCode.Forbidden;
        var (publisher, _, _) = cluster.Replica();

        await publisher.PublishAsync(Drifted(Db, DebugAllowAll, DefaultDeny), CancellationToken.None);
        await publisher.PublishAsync(Drifted(DebugAllowAll), CancellationToken.None);
        cluster.Clock.Advance(Reminder);
        await publisher.PublishAsync(Drifted(DebugAllowAll), CancellationToken.None);

        var logged = Assert.Single(cluster.Logger.Starting("Cannot record the {Reason} Event"));
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Contains("answered 403 Forbidden: events.events.k8s.io", logged.Text, StringComparison.Ordinal);
        Assert.Contains("needs create and patch on events in API group events.k8s.io", logged.Text, StringComparison.Ordinal);
        var metrics = cluster.MetricsText();
        // Three found, then the reminder for the one still drifted.
        Assert.Contains("admissionguard_events_total{reason=\"DriftDetected\",result=\"failed\"} 4", metrics, StringComparison.Ordinal);
        Assert.Contains("admissionguard_events_total{reason=\"DriftResolved\",result=\"failed\"} 2", metrics, StringComparison.Ordinal);
        Assert.Empty(cluster.Stub.KubeEvents);

        // Allowed again: the next Event is recorded, and that is said once.
        cluster.Stub.FailEvents = null;
        await publisher.PublishAsync(Drifted(), CancellationToken.None);
        Assert.Single(cluster.Stub.KubeEvents);
        Assert.Single(cluster.Logger.Starting("Events on NetworkPolicies are recorded again"));
    }

    [Fact]
    public async Task Remediated_is_a_Normal_Event_with_the_action_taken()
    {
        await using var cluster = await StartAsync();
        var (_, events, _) = cluster.Replica();

        var recorded = await events.RemediatedAsync(
            new PolicyKey("shop", "db"), Live[Db.Id], "Apply", "NetworkPolicy shop/db restored to Git main@827d35d (shop/db.yaml)", CancellationToken.None);

        Assert.True(recorded);
        var remediated = Assert.Single(cluster.Stub.KubeEvents);
        Assert.Equal(("Normal", "Remediated", "Apply"), (Text(remediated, "type"), Text(remediated, "reason"), Text(remediated, "action")));
        Assert.Equal("NetworkPolicy shop/db restored to Git main@827d35d (shop/db.yaml)", Text(remediated, "note"));
    }

    private static string? Text(JsonNode node, string key) => node[key]?.GetValue<string>();

    private static string Sorted(JsonNode node, params string[] keys) =>
        new JsonObject([.. keys.Select(k => KeyValuePair.Create(k, node[k]?.DeepClone()))]).ToJsonString();
}
