namespace AdmissionGuard.Tests.Deploy;

/// <summary>The ValidatingWebhookConfiguration: what it sends to the guard, how, and which namespaces it leaves alone.</summary>
public sealed class WebhookTests
{
    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Create_update_and_delete_of_v1_network_policies_are_sent(string path)
    {
        var webhook = Overlay.Named(path).Render().Webhook;

        var rule = Assert.Single(webhook.Maps("rules"));
        Assert.Equal(["networking.k8s.io"], rule.Texts("apiGroups"));
        Assert.Equal(["v1"], rule.Texts("apiVersions"));
        Assert.Equal(["networkpolicies"], rule.Texts("resources"));
        Assert.Equal(["CREATE", "DELETE", "UPDATE"], rule.Texts("operations").Order(StringComparer.Ordinal));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void The_call_is_side_effect_free_v1_and_short(string path)
    {
        var webhook = Overlay.Named(path).Render().Webhook;

        Assert.Equal("None", webhook.Text("sideEffects"));
        Assert.Equal(["v1"], webhook.Texts("admissionReviewVersions"));
        Assert.InRange(webhook.Int("timeoutSeconds"), 1, 5);
        Assert.Contains(webhook.Text("failurePolicy"), new[] { "Fail", "Ignore" });
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void The_api_server_calls_validate_through_the_guard_service(string path)
    {
        var rendered = Overlay.Named(path).Render();
        var client = rendered.Webhook.Map("clientConfig");

        Assert.False(client.Has("url"));
        var service = client.Map("service");
        Assert.Equal("/validate", service.Text("path"));
        var target = rendered.Single("Service", service.Text("name"));
        Assert.Equal(Rendered.Namespace, service.Text("namespace"));
        Assert.Equal(service.Text("namespace"), target.Text("metadata", "namespace"));
        var port = Assert.Single(target.Maps("spec", "ports"), p => p.Text("port") == service.Text("port"));
        Assert.Equal(8443, rendered.ContainerPort(port.Text("targetPort")));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlay.Paths), MemberType = typeof(Overlay))]
    public void Kube_system_and_the_guard_namespace_are_never_sent(string path)
    {
        var rendered = Overlay.Named(path).Render();

        var expression = Assert.Single(rendered.Webhook.Maps("namespaceSelector", "matchExpressions"));
        Assert.Equal("kubernetes.io/metadata.name", expression.Text("key"));
        Assert.Equal("NotIn", expression.Text("operator"));
        var excluded = expression.Texts("values");
        Assert.Contains("kube-system", excluded);
        Assert.Contains(Rendered.Namespace, excluded);
        Assert.False(rendered.Webhook.Has("namespaceSelector", "matchLabels"));

        Assert.Equal(
            excluded.Order(StringComparer.Ordinal),
            rendered.SettingsList("AdmissionGuard__ExcludedNamespaces").Order(StringComparer.Ordinal));
    }
}
