using System.Net;
using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// Remediation in <c>serve</c> (<c>Drift:Remediate</c>): the reporting replica restores lasting drift itself, or asks the
/// GitOps tool that owns the policy to reconcile; never while a break-glass holds, never a delete.
/// </summary>
public sealed class RemediationTests : IDisposable
{
    private readonly CommandWorkspace _workspace = new(DriftFixtures.GitFiles());

    private Task<GuardHost> StartAsync(KubernetesApiStub stub, string mode) =>
        GuardHost.StartAsync(_workspace.Repository.Path, new Dictionary<string, string?>
        {
            ["Drift:Enabled"] = "true",
            ["Drift:Kubeconfig"] = stub.WriteKubeconfig(_workspace.Work.Path),
            ["Drift:Identity"] = "guard-a",
            ["Drift:Namespace"] = "admissionguard",
            ["Drift:Remediate"] = mode,
            ["Drift:RemediateAfter"] = "1s",
        });

    [Fact]
    public async Task Apply_restores_modified_and_missing_policies_that_stayed_drifted_and_leaves_the_unmanaged_one()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        await using var host = await StartAsync(stub, "Apply");

        var report = await WaitForAsync(host, r => r["summary"]!["modified"]!.GetValue<int>() == 0 && r["summary"]!["missing"]!.GetValue<int>() == 0);
        var metrics = await host.Ops.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(["shop/debug-allow-all unmanaged -"], DriftFixtures.Items(report));
        Assert.Contains(stub.Writes, w => w.Request.StartsWith("PUT shop/db?", StringComparison.Ordinal) && w.Request.Contains("fieldManager=admissionguard", StringComparison.Ordinal));
        Assert.Contains(stub.Writes, w => w.Request.StartsWith("POST shop/default-deny?", StringComparison.Ordinal));
        Assert.DoesNotContain(stub.Writes, w => w.Request.StartsWith("DELETE", StringComparison.Ordinal));
        Assert.Equal(1, Server.MetricsTests.Value(metrics, "admissionguard_remediations_total{action=\"update\",result=\"success\"}"));
        Assert.Equal(1, Server.MetricsTests.Value(metrics, "admissionguard_remediations_total{action=\"create\",result=\"success\"}"));
        Assert.Contains(host.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Remediated", StringComparison.Ordinal) && CollectingSink.Scalar(e, "Name") as string == "db");
        var remediated = await WaitForEventAsync(stub, "Remediated", "db");
        Assert.Equal("Normal", remediated["type"]!.GetValue<string>());
        Assert.Contains("put back the spec shop/db.yaml declares: updated; read back equal to Git", remediated["note"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_policy_whose_break_glass_holds_is_not_remediated()
    {
        var live = DriftFixtures.LiveObjects().Select(o => o["metadata"]!["name"]!.GetValue<string>() == "db"
            ? DriftFixtures.WithBreakGlass(o, "INC-9 database failover", DateTimeOffset.UtcNow.AddHours(1))
            : o);
        await using var stub = await KubernetesApiStub.StartAsync(live);
        await using var host = await StartAsync(stub, "Apply");

        await WaitForAsync(host, r => r["summary"]!["missing"]!.GetValue<int>() == 0);
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.DoesNotContain(stub.Writes, w => w.Request.Contains("shop/db", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RequestSync_asks_the_Flux_Kustomization_that_applied_the_policy_to_reconcile()
    {
        var live = DriftFixtures.LiveObjects().Select(o =>
        {
            if (o["metadata"]!["name"]!.GetValue<string>() == "db")
            {
                o["metadata"]!["labels"] = new JsonObject { ["kustomize.toolkit.fluxcd.io/name"] = "apps", ["kustomize.toolkit.fluxcd.io/namespace"] = "flux-system" };
            }

            return o;
        });
        await using var stub = await KubernetesApiStub.StartAsync(live);
        stub.Declare("kustomize.toolkit.fluxcd.io", "kustomizations", "flux-system", "apps");
        await using var host = await StartAsync(stub, "RequestSync");

        var patch = await WaitForPatchAsync(stub, "kustomize.toolkit.fluxcd.io/kustomizations flux-system/apps");

        Assert.True(DateTimeOffset.TryParse(patch["metadata"]!["annotations"]!["reconcile.fluxcd.io/requestedAt"]!.GetValue<string>(), out _));
        Assert.Empty(stub.Writes);
    }

    [Fact]
    public async Task RequestSync_sets_a_sync_operation_on_the_Argo_CD_Application_named_by_the_tracking_annotation()
    {
        var live = DriftFixtures.LiveObjects().Select(o =>
        {
            if (o["metadata"]!["name"]!.GetValue<string>() == "db")
            {
                o["metadata"]!["annotations"] = new JsonObject { ["argocd.argoproj.io/tracking-id"] = "team-shop_shop:networking.k8s.io/NetworkPolicy:shop/db" };
            }

            return o;
        });
        await using var stub = await KubernetesApiStub.StartAsync(live);
        stub.Declare("argoproj.io", "applications", "team-shop", "shop");
        await using var host = await StartAsync(stub, "RequestSync");

        var patch = await WaitForPatchAsync(stub, "argoproj.io/applications team-shop/shop");

        Assert.Equal("admissionguard", patch["operation"]!["initiatedBy"]!["username"]!.GetValue<string>());
        Assert.NotNull(patch["operation"]!["sync"]);
    }

    [Fact]
    public async Task An_invalid_remediation_setting_stops_start_up_with_one_line_naming_it()
    {
        await using var stub = await KubernetesApiStub.StartAsync([]);

        var error = await Assert.ThrowsAsync<AdmissionGuard.Hosting.InvalidSettingsException>(() => StartAsync(stub, "Delete"));

        Assert.Equal("AdmissionGuard:Drift:Remediate: \"Delete\" is not None, RequestSync or Apply", Assert.Single(error.Problems));
    }

    private static async Task<JsonNode> WaitForAsync(GuardHost host, Func<JsonNode, bool> until)
    {
        var last = "";
        for (var attempt = 0; attempt < 600; attempt++)
        {
            using var response = await host.Ops.GetAsync(new Uri("/drift", UriKind.Relative));
            last = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK && JsonNode.Parse(last) is { } report && until(report))
            {
                return report;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"drift not as expected; last: {last}");
    }

    private static async Task<JsonObject> WaitForEventAsync(KubernetesApiStub stub, string reason, string name)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (stub.KubeEvents.FirstOrDefault(e => e["reason"]?.GetValue<string>() == reason && e["regarding"]?["name"]?.GetValue<string>() == name) is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no {reason} Event on {name}");
    }

    private static async Task<JsonObject> WaitForPatchAsync(KubernetesApiStub stub, string target)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            lock (stub.Patches)
            {
                if (stub.Patches.FirstOrDefault(p => p.Target == target).Patch is { } patch)
                {
                    return patch;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no patch of {target}; patches: {string.Join(", ", stub.Patches.Select(p => p.Target))}");
    }

    public void Dispose() => _workspace.Dispose();
}
