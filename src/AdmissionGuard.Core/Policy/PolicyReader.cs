using System.Collections.Immutable;
using System.Text.Json;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// Reads a NetworkPolicy object (as JSON: an AdmissionReview's object, or a Git manifest converted
/// from YAML) into its canonical form. Strict like <c>kubectl apply</c> with field validation:
/// unknown fields, wrong types and values the API server rejects are errors naming the field.
/// </summary>
public static class PolicyReader
{
    public const string ApiVersion = "networking.k8s.io/v1";
    public const string Kind = "NetworkPolicy";

    private static readonly ImmutableSortedDictionary<string, string> NoEntries = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <param name="policy">The whole object: apiVersion, kind, metadata, spec.</param>
    /// <param name="namespaceOverride">Namespace to use instead of metadata.namespace (the admission request's).</param>
    /// <param name="defaultNamespace">Namespace for an object that names none (Git manifests).</param>
    public static CanonicalPolicy Read(JsonElement policy, string? namespaceOverride = null, string defaultNamespace = "default")
    {
        RequireKind(policy, JsonValueKind.Object, "(object)");
        string name = "", ns = "";
        var labels = NoEntries;
        var annotations = NoEntries;
        PolicySpec? spec = null;
        foreach (var field in policy.EnumerateObject())
        {
            switch (field.Name)
            {
                case "metadata":
                    RequireKind(field.Value, JsonValueKind.Object, "metadata");
                    name = OptionalString(field.Value, "name", "metadata.name") ?? "";
                    ns = OptionalString(field.Value, "namespace", "metadata.namespace") ?? "";
                    labels = StringMap(field.Value, "labels", "metadata.labels");
                    annotations = StringMap(field.Value, "annotations", "metadata.annotations");
                    break;
                case "spec":
                    spec = ReadSpec(field.Value);
                    break;
            }
        }

        ns = namespaceOverride is { Length: > 0 } ? namespaceOverride : ns.Length > 0 ? ns : defaultNamespace;
        return new CanonicalPolicy(ns, name, spec ?? ReadSpec(default), labels, annotations);
    }

    private static PolicySpec ReadSpec(JsonElement spec)
    {
        var podSelector = LabelSelector.Everything;
        var ingress = ImmutableArray<PolicyRule>.Empty;
        var egress = ImmutableArray<PolicyRule>.Empty;
        var policyTypes = ImmutableArray<string>.Empty;
        if (spec.ValueKind != JsonValueKind.Undefined && !IsNull(spec))
        {
            RequireKind(spec, JsonValueKind.Object, "spec");
            foreach (var field in spec.EnumerateObject())
            {
                switch (field.Name)
                {
                    case "podSelector":
                        podSelector = ReadSelector(field.Value, "spec.podSelector") ?? LabelSelector.Everything;
                        break;
                    case "ingress":
                        ingress = ReadRules(field.Value, "spec.ingress", "from");
                        break;
                    case "egress":
                        egress = ReadRules(field.Value, "spec.egress", "to");
                        break;
                    case "policyTypes":
                        policyTypes = ReadSet(field.Value, "spec.policyTypes", (value, path) =>
                            value is "Ingress" or "Egress" ? value : throw new PolicyFormatException(path, $"unsupported value \"{value}\": must be Ingress or Egress"));
                        break;
                    default:
                        throw new PolicyFormatException("spec." + field.Name, "unknown field");
                }
            }
        }

        if (policyTypes.IsEmpty)
        {
            // The API server's defaulting (SetDefaults_NetworkPolicy).
            policyTypes = egress.IsEmpty ? ["Ingress"] : ["Egress", "Ingress"];
        }

        return new PolicySpec(podSelector, policyTypes, ingress, egress);
    }

    private static ImmutableArray<PolicyRule> ReadRules(JsonElement rules, string path, string peersField)
    {
        var result = new List<PolicyRule>();
        foreach (var (rule, rulePath) in Items(rules, path))
        {
            RequireKind(rule, JsonValueKind.Object, rulePath);
            var peers = ImmutableArray<Peer>.Empty;
            var ports = ImmutableArray<PolicyPort>.Empty;
            foreach (var field in rule.EnumerateObject())
            {
                if (field.Name == peersField)
                {
                    peers = SortedSet(Items(field.Value, $"{rulePath}.{peersField}").Select(p => ReadPeer(p.Item, p.Path)), p => p.Key);
                }
                else if (field.Name == "ports")
                {
                    ports = SortedSet(Items(field.Value, rulePath + ".ports").Select(p => ReadPort(p.Item, p.Path)), p => p.Text);
                }
                else
                {
                    throw new PolicyFormatException($"{rulePath}.{field.Name}", "unknown field");
                }
            }

            result.Add(new PolicyRule(peers, ports));
        }

        return SortedSet(result, r => r.Key);
    }

    private static Peer ReadPeer(JsonElement peer, string path)
    {
        RequireKind(peer, JsonValueKind.Object, path);
        LabelSelector? pods = null, namespaces = null;
        IpBlock? block = null;
        foreach (var field in peer.EnumerateObject())
        {
            switch (field.Name)
            {
                case "podSelector":
                    pods = ReadSelector(field.Value, path + ".podSelector");
                    break;
                case "namespaceSelector":
                    namespaces = ReadSelector(field.Value, path + ".namespaceSelector");
                    break;
                case "ipBlock":
                    block = IsNull(field.Value) ? null : ReadIpBlock(field.Value, path + ".ipBlock");
                    break;
                default:
                    throw new PolicyFormatException($"{path}.{field.Name}", "unknown field");
            }
        }

        if (block is not null && (pods is not null || namespaces is not null))
        {
            throw new PolicyFormatException(path, "ipBlock may not be combined with podSelector or namespaceSelector");
        }

        if (block is null && pods is null && namespaces is null)
        {
            throw new PolicyFormatException(path, "must specify a peer (podSelector, namespaceSelector or ipBlock)");
        }

        return Peer.Create(pods, namespaces, block);
    }

    private static IpBlock ReadIpBlock(JsonElement block, string path)
    {
        RequireKind(block, JsonValueKind.Object, path);
        string? cidr = null;
        var except = ImmutableArray<string>.Empty;
        foreach (var field in block.EnumerateObject())
        {
            switch (field.Name)
            {
                case "cidr":
                    cidr = Network(RequireString(field.Value, path + ".cidr"), path + ".cidr");
                    break;
                case "except":
                    except = ReadSet(field.Value, path + ".except", Network);
                    break;
                default:
                    throw new PolicyFormatException($"{path}.{field.Name}", "unknown field");
            }
        }

        return new IpBlock(cidr ?? throw new PolicyFormatException(path + ".cidr", "required"), except);

        static string Network(string text, string at) =>
            Cidr.TryNormalise(text, out var network) ? network : throw new PolicyFormatException(at, $"invalid CIDR \"{text}\"");
    }

    private static PolicyPort ReadPort(JsonElement port, string path)
    {
        RequireKind(port, JsonValueKind.Object, path);
        var protocol = "TCP";
        int? number = null, endPort = null;
        string? name = null;
        foreach (var field in port.EnumerateObject())
        {
            switch (field.Name)
            {
                case "protocol":
                    if (IsNull(field.Value))
                    {
                        break;
                    }

                    protocol = RequireString(field.Value, path + ".protocol");
                    if (protocol is not ("TCP" or "UDP" or "SCTP"))
                    {
                        throw new PolicyFormatException(path + ".protocol", $"unsupported value \"{protocol}\": must be TCP, UDP or SCTP");
                    }

                    break;
                case "port":
                    if (field.Value.ValueKind == JsonValueKind.Number)
                    {
                        number = PortNumber(field.Value, path + ".port");
                    }
                    else if (field.Value.ValueKind == JsonValueKind.String)
                    {
                        name = PortName(field.Value.GetString()!, path + ".port");
                    }
                    else if (!IsNull(field.Value))
                    {
                        throw new PolicyFormatException(path + ".port", "must be a port number or a port name");
                    }

                    break;
                case "endPort":
                    endPort = IsNull(field.Value) ? null : PortNumber(field.Value, path + ".endPort");
                    break;
                default:
                    throw new PolicyFormatException($"{path}.{field.Name}", "unknown field");
            }
        }

        if (endPort is not null && (number is null || endPort < number))
        {
            throw new PolicyFormatException(path + ".endPort", "needs a numeric port that is not greater than it");
        }

        return new PolicyPort(protocol, number, endPort, name);
    }

    private static int PortNumber(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number is >= 1 and <= 65535
            ? number
            : throw new PolicyFormatException(path, $"must be a port number between 1 and 65535, not {value.GetRawText()}");

    private static string PortName(string name, string path)
    {
        // IANA_SVC_NAME: 1-15 lower-case alphanumerics or '-', at least one letter. "80" as a string is
        // an error at the API server, not a port number.
        var valid = name.Length is >= 1 and <= 15
            && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            && name.Any(char.IsAsciiLetterLower) && name[0] != '-' && name[^1] != '-' && !name.Contains("--", StringComparison.Ordinal);
        return valid ? name : throw new PolicyFormatException(path, $"invalid port name \"{name}\": write a number without quotes, or a name of 1-15 lower-case letters, digits and '-'");
    }

    private static LabelSelector? ReadSelector(JsonElement selector, string path)
    {
        if (IsNull(selector))
        {
            return null;
        }

        RequireKind(selector, JsonValueKind.Object, path);
        var labels = NoEntries;
        var expressions = ImmutableArray<SelectorRequirement>.Empty;
        foreach (var field in selector.EnumerateObject())
        {
            switch (field.Name)
            {
                case "matchLabels":
                    labels = StringMap(selector, "matchLabels", path + ".matchLabels");
                    break;
                case "matchExpressions":
                    expressions = SortedSet(Items(field.Value, path + ".matchExpressions").Select(e => ReadRequirement(e.Item, e.Path)), r => r.Text);
                    break;
                default:
                    throw new PolicyFormatException($"{path}.{field.Name}", "unknown field");
            }
        }

        return new LabelSelector([.. labels], expressions);
    }

    private static SelectorRequirement ReadRequirement(JsonElement requirement, string path)
    {
        RequireKind(requirement, JsonValueKind.Object, path);
        string? key = null, op = null;
        var values = ImmutableArray<string>.Empty;
        foreach (var field in requirement.EnumerateObject())
        {
            switch (field.Name)
            {
                case "key":
                    key = RequireString(field.Value, path + ".key");
                    break;
                case "operator":
                    op = RequireString(field.Value, path + ".operator");
                    break;
                case "values":
                    values = ReadSet(field.Value, path + ".values", (value, _) => value);
                    break;
                default:
                    throw new PolicyFormatException($"{path}.{field.Name}", "unknown field");
            }
        }

        if (string.IsNullOrEmpty(key))
        {
            throw new PolicyFormatException(path + ".key", "required");
        }

        switch (op)
        {
            case "In" or "NotIn" when values.IsEmpty:
                throw new PolicyFormatException(path + ".values", $"must be non-empty for operator {op}");
            case "Exists" or "DoesNotExist" when !values.IsEmpty:
                throw new PolicyFormatException(path + ".values", $"must be empty for operator {op}");
            case "In" or "NotIn" or "Exists" or "DoesNotExist":
                return new SelectorRequirement(key, op, values);
            default:
                throw new PolicyFormatException(path + ".operator", $"unsupported value \"{op}\": must be In, NotIn, Exists or DoesNotExist");
        }
    }

    private static ImmutableArray<string> ReadSet(JsonElement list, string path, Func<string, string, string> convert) =>
        SortedSet(Items(list, path).Select(i => convert(RequireString(i.Item, i.Path), i.Path)), s => s);

    private static IEnumerable<(JsonElement Item, string Path)> Items(JsonElement list, string path)
    {
        if (IsNull(list))
        {
            yield break;
        }

        RequireKind(list, JsonValueKind.Array, path);
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            yield return (item, $"{path}[{index++}]");
        }
    }

    private static ImmutableArray<T> SortedSet<T>(IEnumerable<T> items, Func<T, string> key)
    {
        var sorted = items.DistinctBy(key, StringComparer.Ordinal).OrderBy(key, StringComparer.Ordinal);
        return [.. sorted];
    }

    private static ImmutableSortedDictionary<string, string> StringMap(JsonElement parent, string property, string path)
    {
        if (!parent.TryGetProperty(property, out var map) || IsNull(map))
        {
            return NoEntries;
        }

        RequireKind(map, JsonValueKind.Object, path);
        var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var entry in map.EnumerateObject())
        {
            builder[entry.Name] = RequireString(entry.Value, $"{path}.{entry.Name}");
        }

        return builder.ToImmutable();
    }

    private static string? OptionalString(JsonElement parent, string property, string path) =>
        parent.TryGetProperty(property, out var value) && !IsNull(value) ? RequireString(value, path) : null;

    private static string RequireString(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new PolicyFormatException(path, $"must be a string, not {Describe(value)} (quote it in YAML)");

    private static void RequireKind(JsonElement value, JsonValueKind kind, string path)
    {
        if (value.ValueKind != kind)
        {
            var expected = kind == JsonValueKind.Array ? "a list" : "a mapping";
            throw new PolicyFormatException(path, $"must be {expected}, not {Describe(value)}");
        }
    }

    private static bool IsNull(JsonElement value) => value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "a mapping",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        _ => "null",
    };
}
