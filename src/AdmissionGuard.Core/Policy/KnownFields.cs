namespace AdmissionGuard.Core.Policy;

/// <summary>
/// The fields of <c>networking.k8s.io/v1</c> NetworkPolicy at each level, as the API server's strict decoding
/// knows them (kubectl apply's field validation): anything else in a manifest is a mistake to be named.
/// </summary>
internal static class KnownFields
{
    /// <summary><c>status</c> is known so that it can be warned about: API servers from 1.28 no longer serve it.</summary>
    public static readonly string[] Object = ["apiVersion", "kind", "metadata", "spec", "status"];

    /// <summary>ObjectMeta.</summary>
    public static readonly string[] Metadata =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    public static readonly string[] Spec = ["podSelector", "ingress", "egress", "policyTypes"];

    public static readonly string[] IngressRule = ["from", "ports"];

    public static readonly string[] EgressRule = ["to", "ports"];

    public static readonly string[] Peer = ["podSelector", "namespaceSelector", "ipBlock"];

    public static readonly string[] IpBlock = ["cidr", "except"];

    public static readonly string[] Port = ["protocol", "port", "endPort"];

    public static readonly string[] Selector = ["matchLabels", "matchExpressions"];

    public static readonly string[] Requirement = ["key", "operator", "values"];

    /// <summary><c>unknown field "spce" (did you mean "spec"?)</c>.</summary>
    public static string Unknown(string name, string[] known) =>
        EditDistance.Nearest(name, known) is { } near
            ? $"unknown field {Excerpt.Quoted(name)} (did you mean \"{near}\"?)"
            : $"unknown field {Excerpt.Quoted(name)} (known here: {string.Join(", ", known)})";
}
