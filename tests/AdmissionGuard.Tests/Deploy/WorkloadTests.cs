namespace AdmissionGuard.Tests.Deploy;

/// <summary>The Deployment and its PodDisruptionBudget: highly available, locked down, probed, bounded.</summary>
public sealed class WorkloadTests
{
    private const string TokenDirectory = "/var/run/secrets/admissionguard/git";

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Two_replicas_spread_over_nodes_and_a_rolling_update_that_keeps_both_serving(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var spec = rendered.Deployment.Map("spec");

        Assert.Equal(2, spec.Int("replicas"));
        Assert.True(rendered.SelectsPods(spec.Map("selector", "matchLabels")));
        Assert.Equal("0", spec.Text("strategy", "rollingUpdate", "maxUnavailable"));

        var spreadOverNodes = rendered.PodSpec.Maps("topologySpreadConstraints")
            .Where(c => c.Text("topologyKey") == "kubernetes.io/hostname" && rendered.SelectsPods(c.Map("labelSelector", "matchLabels")));
        var antiAffinity = rendered.PodSpec.Get("affinity", "podAntiAffinity");
        Assert.True(spreadOverNodes.Any() || antiAffinity is not null, "neither topologySpreadConstraints over nodes nor pod anti-affinity");
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void A_disruption_budget_keeps_one_replica(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var budget = rendered.Single("PodDisruptionBudget", "admissionguard").Map("spec");

        Assert.Equal(1, budget.Int("minAvailable"));
        Assert.True(rendered.SelectsPods(budget.Map("selector", "matchLabels")));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Pod_and_container_run_non_root_read_only_without_privileges(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var pod = rendered.PodSpec.Map("securityContext");
        var container = rendered.Container.Map("securityContext");

        Assert.True(pod.Bool("runAsNonRoot"));
        Assert.Equal("RuntimeDefault", pod.Text("seccompProfile", "type"));
        Assert.True(container.Bool("runAsNonRoot"));
        Assert.True(container.Bool("readOnlyRootFilesystem"));
        Assert.False(container.Bool("allowPrivilegeEscalation"));
        Assert.Equal(["ALL"], container.Texts("capabilities", "drop"));
        Assert.False(container.Has("capabilities", "add"));
        Assert.Equal("RuntimeDefault", container.Text("seccompProfile", "type"));
        foreach (var context in new[] { pod, container })
        {
            Assert.True(context.Int("runAsUser") > 0);
            Assert.True(context.Int("runAsGroup") > 0);
        }

        Assert.False(rendered.PodSpec.Has("hostNetwork"));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Liveness_and_readiness_are_probed_over_https_on_the_webhook_port(string path)
    {
        var rendered = Overlay.Named(path).Render();

        foreach (var (probe, expected) in new[] { ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz") })
        {
            var get = rendered.Container.Map(probe, "httpGet");
            Assert.Equal(expected, get.Text("path"));
            Assert.Equal("HTTPS", get.Text("scheme"));
            Assert.Equal(8443, rendered.ContainerPort(get.Text("port")));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Cpu_and_memory_have_requests_and_limits(string path)
    {
        var resources = Overlay.Named(path).Render().Container.Map("resources");

        foreach (var bound in new[] { "requests", "limits" })
        {
            foreach (var resource in new[] { "cpu", "memory" })
            {
                Assert.False(string.IsNullOrWhiteSpace(resources.Text(bound, resource)), $"{bound}.{resource}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void The_git_cache_and_tmp_are_empty_dirs_and_nothing_else_is_writable(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var cache = rendered.EnvValue("AdmissionGuard__Git__CacheDirectory");

        Assert.True(rendered.VolumeAt(cache).Has("emptyDir"), $"{cache} is not an emptyDir");
        Assert.True(rendered.VolumeAt("/tmp").Has("emptyDir"), "/tmp is not an emptyDir");
        Assert.All(
            rendered.Container.Maps("volumeMounts").Where(m => m.TextOrNull("readOnly") != "true"),
            m => Assert.True(rendered.VolumeAt(m.Text("mountPath")).Has("emptyDir"), $"{m.Text("mountPath")} is writable"));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void The_serving_certificate_is_a_whole_secret_directory_the_listener_reads(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var certificate = rendered.EnvValue("Kestrel__Endpoints__Webhook__Certificate__Path");
        var key = rendered.EnvValue("Kestrel__Endpoints__Webhook__Certificate__KeyPath");
        var directory = Path.GetDirectoryName(certificate)!;

        Assert.Equal(directory, Path.GetDirectoryName(key));
        var mount = Assert.Single(rendered.Container.Maps("volumeMounts"), m => m.Text("mountPath") == directory);
        Assert.False(mount.Has("subPath"), "a subPath mount never sees a rotated Secret");
        var secret = rendered.VolumeAt(directory).Map("secret");
        Assert.Equal("admissionguard-tls", secret.Text("secretName"));
        Assert.NotEqual("true", secret.TextOrNull("optional"));
        Assert.Equal("https://0.0.0.0:8443", rendered.EnvValue("Kestrel__Endpoints__Webhook__Url"));
        Assert.Equal("http://0.0.0.0:8080", rendered.EnvValue("Kestrel__Endpoints__Ops__Url"));
        Assert.Equal(8443, rendered.ContainerPort("webhook"));
        Assert.Equal(8080, rendered.ContainerPort("ops"));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void The_git_token_is_an_optional_secret_file(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var secret = rendered.VolumeAt(TokenDirectory).Map("secret");

        Assert.Equal("admissionguard-git", secret.Text("secretName"));
        Assert.True(secret.Bool("optional"));
        Assert.Contains(secret.Maps("items"), item => item.Text("key") == "token" && item.Text("path") == "token");
        Assert.Null(rendered.Find("Secret", "admissionguard-git"));
        Assert.Equal(TokenDirectory + "/token", rendered.EnvValue("AdmissionGuard__Git__TokenFile"));
        Assert.DoesNotContain("AdmissionGuard__Git__TokenFile", rendered.Settings.Keys);
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void The_push_hook_secret_comes_from_an_optional_secret_key(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var variable = Assert.Single(rendered.Container.Maps("env"), e => e.Text("name") == "AdmissionGuard__Git__WebhookSecret");

        var reference = variable.Map("valueFrom", "secretKeyRef");
        Assert.Equal("admissionguard-git", reference.Text("name"));
        Assert.True(reference.Bool("optional"));
        Assert.DoesNotContain("AdmissionGuard__Git__WebhookSecret", rendered.Settings.Keys);
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Settings_come_from_the_config_map_and_the_service_account_is_the_guard_s(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var envFrom = Assert.Single(rendered.Container.Maps("envFrom"));

        Assert.Equal("admissionguard-config", envFrom.Text("configMapRef", "name"));
        Assert.False(envFrom.Has("configMapRef", "optional"));
        Assert.False(string.IsNullOrWhiteSpace(rendered.Settings["AdmissionGuard__Git__Repository"]));
        Assert.NotEmpty(rendered.SettingsList("AdmissionGuard__Git__Paths"));
        Assert.Equal("admissionguard", rendered.PodSpec.Text("serviceAccountName"));
        Assert.Equal(
            rendered.Env.Select(e => e.Name).Distinct(StringComparer.Ordinal).Count(),
            rendered.Env.Count);
    }
}
