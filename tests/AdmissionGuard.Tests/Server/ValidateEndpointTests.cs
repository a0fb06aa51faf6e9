using System.Net;
using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Support;
using Serilog.Events;

namespace AdmissionGuard.Tests.Server;

/// <summary>POST /validate over TLS on the real server, with AdmissionReviews shaped like the API server's.</summary>
public sealed class ValidateEndpointTests(EnforcingServer server) : IClassFixture<EnforcingServer>
{
    private const string Admin = "admin";
    private const string ArgoCd = "system:serviceaccount:argocd:argocd-application-controller";
    private const string WiderSpec = """{"podSelector":{},"ingress":[{"ports":[{"protocol":"TCP","port":80}]},{"from":[{"ipBlock":{"cidr":"0.0.0.0/0"}}],"ports":[{"protocol":"TCP","port":5432}]}],"policyTypes":["Ingress"]}""";

    private GuardHost Host => server.Host;

    private string ShortCommit => server.Commit[..7];

    [Fact]
    public async Task Create_equal_to_git_is_allowed_and_echoes_the_uid()
    {
        var response = await Host.ReviewAsync(Reviews.Load("create").WithUid("create-equal"));

        Assert.Equal("create-equal", response["uid"]!.GetValue<string>());
        Assert.True(response["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Create_that_differs_from_git_is_denied_with_the_difference_and_the_git_location()
    {
        var response = await Host.ReviewAsync(Reviews.Load("create").WithUid("create-wider").WithSpec(WiderSpec));

        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Equal(403, response["status"]!["code"]!.GetValue<int>());
        var message = response["status"]!["message"]!.GetValue<string>();
        Assert.Contains("spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432", message, StringComparison.Ordinal);
        Assert.Contains($"apps/default.yaml@{ShortCommit}", message, StringComparison.Ordinal);
        Assert.Contains("admissionguard.io/break-glass", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Label_only_update_is_allowed()
    {
        var response = await Host.ReviewAsync(Reviews.Load("update-label").WithUid("update-label"));

        Assert.True(response["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Server_side_apply_changing_a_port_is_denied()
    {
        var response = await Host.ReviewAsync(Reviews.Load("update-server-side-apply").WithUid("ssa"));

        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Contains("port TCP/443 added", response["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_of_a_policy_declared_in_git_is_denied()
    {
        var response = await Host.ReviewAsync(Reviews.Load("delete").WithUid("delete-declared"));

        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Contains("declared in Git", response["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_by_the_namespace_controller_is_allowed()
    {
        var review = Reviews.Load("delete").WithUid("delete-ns-controller")
            .AsUser("system:serviceaccount:kube-system:namespace-controller", "system:serviceaccounts", "system:authenticated");

        var response = await Host.ReviewAsync(review);

        Assert.True(response["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Dry_run_gets_the_same_answer_as_the_real_request()
    {
        var dryRun = await Host.ReviewAsync(Reviews.Load("create-dryrun").WithUid("dry-1"));
        var real = Reviews.Load("create-dryrun").WithUid("dry-2");
        real.Request()["dryRun"] = false;
        var wet = await Host.ReviewAsync(real);

        Assert.False(dryRun["allowed"]!.GetValue<bool>());
        Assert.Equal(wet["allowed"]!.GetValue<bool>(), dryRun["allowed"]!.GetValue<bool>());
        Assert.Equal(wet["status"]!.ToJsonString(), dryRun["status"]!.ToJsonString());
    }

    [Fact]
    public async Task The_gitops_service_account_is_trusted()
    {
        var response = await Host.ReviewAsync(Reviews.Load("create-as-serviceaccount").WithUid("argocd"));

        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Equal(ArgoCd, Reviews.Load("create-as-serviceaccount").Request()["userInfo"]!["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task Valid_break_glass_allows_the_change_with_a_warning_and_a_warning_level_audit_event()
    {
        var expires = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var review = Reviews.Load("create").WithUid("break-glass").WithSpec(WiderSpec).WithAnnotations(new Dictionary<string, string>
        {
            ["admissionguard.io/break-glass"] = "INC-42 database unreachable",
            ["admissionguard.io/break-glass-expires"] = expires,
        });

        var response = await Host.ReviewAsync(review);

        Assert.True(response["allowed"]!.GetValue<bool>());
        var warnings = response["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        Assert.Contains(warnings, w => w.Contains(Admin, StringComparison.Ordinal) && w.Contains("INC-42", StringComparison.Ordinal) && w.Contains(expires, StringComparison.Ordinal));
        var audit = Host.Logs.Decision("break-glass");
        Assert.NotNull(audit);
        Assert.Equal(LogEventLevel.Warning, audit.Level);
        Assert.Equal("break-glass", CollectingSink.Scalar(audit, "Result"));
    }

    [Fact]
    public async Task Expired_break_glass_is_not_honoured_and_the_deny_says_why()
    {
        var review = Reviews.Load("create").WithUid("break-glass-expired").WithSpec(WiderSpec).WithAnnotations(new Dictionary<string, string>
        {
            ["admissionguard.io/break-glass"] = "INC-41",
            ["admissionguard.io/break-glass-expires"] = "2020-01-01T00:00:00Z",
        });

        var response = await Host.ReviewAsync(review);

        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Contains("Break-glass not honoured: it expired at 2020-01-01T00:00:00Z", response["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_decision_is_audited_once_with_its_fields()
    {
        await Host.ReviewAsync(Reviews.Load("create").WithUid("audited").WithSpec(WiderSpec));

        var events = Host.Logs.Events.Where(e => CollectingSink.Scalar(e, "Uid") as string == "audited").ToList();
        var audit = Assert.Single(events);
        Assert.Equal(LogEventLevel.Information, audit.Level);
        Assert.Equal("CREATE", CollectingSink.Scalar(audit, "Operation")?.ToString());
        Assert.Equal("default", CollectingSink.Scalar(audit, "Namespace"));
        Assert.Equal("allow-np", CollectingSink.Scalar(audit, "Name"));
        Assert.Equal(Admin, CollectingSink.Scalar(audit, "User"));
        Assert.Equal("system:masters,system:authenticated", CollectingSink.Scalar(audit, "Groups"));
        Assert.Equal(false, CollectingSink.Scalar(audit, "Allowed"));
        Assert.Equal("DiffersFromGit", CollectingSink.Scalar(audit, "Reason")?.ToString());
        Assert.Equal("Enforce", CollectingSink.Scalar(audit, "Mode")?.ToString());
        Assert.Equal(false, CollectingSink.Scalar(audit, "DryRun"));
        Assert.Equal(server.Commit, CollectingSink.Scalar(audit, "BaselineCommit"));
    }

    [Fact]
    public async Task A_resource_other_than_networkpolicies_is_allowed_with_a_warning()
    {
        var review = Reviews.Load("create").WithUid("configmap");
        review.Request()["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "ConfigMap" };
        review.Request()["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = "configmaps" };
        review.Request()["object"] = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "settings", ["namespace"] = "default" },
            ["data"] = new JsonObject { ["mode"] = "fast" },
        };

        var response = await Host.ReviewAsync(review);

        Assert.True(response["allowed"]!.GetValue<bool>());
        var warning = Assert.Single(response["warnings"]!.AsArray())!.GetValue<string>();
        Assert.Contains("configmaps.v1 unreviewed", warning, StringComparison.Ordinal);
        Assert.True(warning.Length <= 120, $"{warning.Length} characters: {warning}");
    }

    [Fact]
    public async Task Status_reports_the_commit_in_force()
    {
        var status = await Host.StatusAsync();

        Assert.Equal(server.Commit, status["commit"]!.GetValue<string>());
        Assert.Equal("main", status["ref"]!.GetValue<string>());
        Assert.Equal(2, status["objectCount"]!.GetValue<int>());
        Assert.Equal("Enforce", status["mode"]!.GetValue<string>());
        Assert.Equal("git", status["source"]!.GetValue<string>());
        Assert.NotNull(status["loadedAt"]);
        Assert.Null(status["lastError"]);
    }

    [Fact]
    public async Task Each_endpoint_answers_only_on_its_own_listener()
    {
        using var statusOnWebhook = await Host.Webhook.GetAsync("/status");
        using var validateOnOps = await Host.Ops.PostAsync("/validate", new StringContent("{}"));
        using var healthOnWebhook = await Host.Webhook.GetAsync("/healthz");
        using var readyOnWebhook = await Host.Webhook.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.NotFound, statusOnWebhook.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, validateOnOps.StatusCode);
        Assert.Equal(HttpStatusCode.OK, healthOnWebhook.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readyOnWebhook.StatusCode);
    }

    [Fact]
    public async Task Health_and_readiness_also_answer_on_the_ops_port_for_probes_without_a_client_certificate()
    {
        using var healthOnOps = await Host.Ops.GetAsync("/healthz");
        using var readyOnOps = await Host.Ops.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, healthOnOps.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readyOnOps.StatusCode);
    }
}
