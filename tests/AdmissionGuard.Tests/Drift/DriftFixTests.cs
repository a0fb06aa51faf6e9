using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// <c>drift --fix</c> against the stub API server: the plan first, changes only with --yes, modified policies updated to
/// Git's spec on their resourceVersion, missing ones created, unmanaged ones deleted only with --prune, every write read back.
/// </summary>
public sealed class DriftFixTests : IDisposable
{
    private readonly CommandWorkspace _workspace = new(DriftFixtures.GitFiles());

    private Executable.Result Drift(KubernetesApiStub stub, params string[] arguments) =>
        Executable.Run(
            _workspace.Work.Path,
            _workspace.Environment,
            ["drift", "--repo", _workspace.Repository.Path, "--kubeconfig", stub.WriteKubeconfig(_workspace.Work.Path), .. arguments]);

    [Fact]
    public async Task Without_yes_the_plan_is_printed_and_nothing_is_written()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());

        var result = Drift(stub, "--fix");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Plan (2 changes, to main@", result.Output, StringComparison.Ordinal);
        Assert.Contains("  update  shop/db: put back the spec shop/db.yaml declares", result.Output, StringComparison.Ordinal);
        Assert.Contains("  create  shop/default-deny: create it as shop/default-deny.yaml declares it", result.Output, StringComparison.Ordinal);
        Assert.Contains("  keep    shop/debug-allow-all: Git does not declare it: --prune deletes it", result.Output, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed: run again with --yes", result.Output, StringComparison.Ordinal);
        Assert.Empty(stub.Writes);
    }

    [Fact]
    public async Task With_yes_modified_and_missing_policies_are_restored_and_read_back_and_drift_is_only_the_unmanaged_one()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        var version = stub.Stored("shop", "db")!["metadata"]!["resourceVersion"]!.ToString();

        var fixedRun = Drift(stub, "--fix", "--yes");
        var after = Drift(stub, "-o", "json");

        Assert.True(fixedRun.ExitCode == 1, fixedRun.Output + fixedRun.Errors);
        Assert.Contains("  ok      shop/db: updated; read back equal to Git", fixedRun.Output, StringComparison.Ordinal);
        Assert.Contains("  ok      shop/default-deny: created; read back equal to Git", fixedRun.Output, StringComparison.Ordinal);
        var update = stub.Writes.Single(w => w.Request.StartsWith("PUT shop/db", StringComparison.Ordinal));
        Assert.Contains("fieldManager=admissionguard", update.Request, StringComparison.Ordinal);
        Assert.Equal(version, update.Body!["metadata"]!["resourceVersion"]!.ToString());
        Assert.StartsWith("POST shop/default-deny?", stub.Writes.Single(w => w.Request.StartsWith("POST", StringComparison.Ordinal)).Request, StringComparison.Ordinal);
        Assert.DoesNotContain(stub.Writes, w => w.Request.StartsWith("DELETE", StringComparison.Ordinal));
        Assert.Equal(["shop/debug-allow-all unmanaged -"], DriftFixtures.Items(JsonNode.Parse(after.Output)!));
    }

    [Fact]
    public async Task With_prune_an_unmanaged_policy_is_deleted_and_the_cluster_matches_Git()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());

        var fixedRun = Drift(stub, "--fix", "--yes", "--prune");
        var after = Drift(stub);

        Assert.True(fixedRun.ExitCode == 0, fixedRun.Output + fixedRun.Errors);
        Assert.Contains("  ok      shop/debug-allow-all: deleted, and gone when read back", fixedRun.Output, StringComparison.Ordinal);
        Assert.Null(stub.Stored("shop", "debug-allow-all"));
        Assert.Equal(0, after.ExitCode);
    }

    [Fact]
    public async Task An_update_refused_because_someone_wrote_the_policy_meanwhile_is_read_again_and_retried()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        stub.ConflictsBeforeReplace = 2;

        var result = Drift(stub, "--fix", "--yes");

        Assert.Contains("  ok      shop/db: updated; read back equal to Git", result.Output, StringComparison.Ordinal);
        Assert.Equal(3, stub.Writes.Count(w => w.Request.StartsWith("PUT shop/db", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_server_dry_run_asks_the_API_server_and_changes_nothing()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        var before = stub.Stored("shop", "db")!.ToJsonString();

        var result = Drift(stub, "--fix", "--dry-run=server", "--prune");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("  ok      shop/db: updated (dry run: the API server accepted it, nothing changed)", result.Output, StringComparison.Ordinal);
        Assert.All(stub.Writes, w => Assert.Contains("dryRun=All", w.Request, StringComparison.Ordinal));
        Assert.Equal(3, stub.Writes.Count);
        Assert.Equal(before, stub.Stored("shop", "db")!.ToJsonString());
        Assert.NotNull(stub.Stored("shop", "debug-allow-all"));
    }

    [Fact]
    public async Task A_policy_whose_break_glass_holds_is_kept_as_it_is()
    {
        var until = DateTimeOffset.UtcNow.AddHours(1);
        var live = DriftFixtures.LiveObjects().Select(o => o["metadata"]!["name"]!.GetValue<string>() == "db" ? DriftFixtures.WithBreakGlass(o, "INC-9 database failover", until) : o);
        await using var stub = await KubernetesApiStub.StartAsync(live);

        var result = Drift(stub, "--fix", "--yes");

        Assert.Contains($"  keep    shop/db: break-glass \"INC-9 database failover\" holds until {DriftFixtures.Time(until)}", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(stub.Writes, w => w.Request.Contains("shop/db", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_write_the_API_server_stored_differently_is_reported_as_failed_with_exit_2()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        stub.MutateWrites = policy => policy["spec"]!["ingress"] = new JsonArray(new JsonObject());

        var result = Drift(stub, "--fix", "--yes");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("  FAILED  shop/db: updated, but read back different from Git: spec.ingress:", result.Output, StringComparison.Ordinal);
        Assert.Contains("(a mutating webhook or controller?)", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Fix_needs_the_cluster_and_its_options_need_fix()
    {
        var live = Executable.Run(_workspace.Work.Path, null, "drift", "--repo", _workspace.Repository.Path, "--live", DriftFixtures.Live("cluster.yaml"), "--fix");
        var yes = Executable.Run(_workspace.Work.Path, null, "drift", "--repo", _workspace.Repository.Path, "--live", DriftFixtures.Live("cluster.yaml"), "--yes");

        Assert.Equal((2, 2), (live.ExitCode, yes.ExitCode));
        Assert.Contains("--fix changes the cluster, so it reads the cluster itself: give --kubeconfig", live.Errors, StringComparison.Ordinal);
        Assert.Contains("--yes, --prune and --dry-run go with --fix", yes.Errors, StringComparison.Ordinal);
    }

    public void Dispose() => _workspace.Dispose();
}
