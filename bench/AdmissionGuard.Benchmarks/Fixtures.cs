using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AdmissionGuard.Benchmarks;

/// <summary>How the policy in a review relates to the one Git declares.</summary>
public enum PolicyCase
{
    /// <summary>Same spec, written the way the API server sends it (defaults filled in); a label was added.</summary>
    Equal,

    /// <summary>Same meaning, but rules, peers, ports and policyTypes in another order and a peer listed twice.</summary>
    ReorderedEqual,

    /// <summary>An ingress port added: denied with a per-field diff.</summary>
    Different,
}

/// <summary>
/// A synthetic GitOps repository of realistic NetworkPolicies (selectors, namespace peers, DNS egress,
/// ipBlock with except, named protocols) and AdmissionReviews for them, as the API server sends them.
/// Policy <c>i</c> lives in namespace <c>team-(i / 100)</c> as <c>svc-i</c>.
/// </summary>
public static partial class Fixtures
{
    public const string Uid = "5f0c3a52-9d1e-4c8b-a7f6-2e4d9b1c8a73";

    public static string Namespace(int i) => $"team-{i / 100:D3}";

    public static string Name(int i) => $"svc-{i:D5}";

    /// <summary>Relative path of policy <c>i</c>'s manifest in the repository.</summary>
    public static string ManifestPath(int i) => $"clusters/prod/{Namespace(i)}/{Name(i)}.yaml";

    /// <summary>The policy as Git declares it (JSON form of the manifest).</summary>
    public static JsonObject Declared(int i)
    {
        var subnet = i % 250;
        return new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "NetworkPolicy",
            ["metadata"] = new JsonObject
            {
                ["name"] = Name(i),
                ["namespace"] = Namespace(i),
                ["labels"] = new JsonObject { ["app.kubernetes.io/part-of"] = Namespace(i), ["app.kubernetes.io/managed-by"] = "argocd" },
            },
            ["spec"] = new JsonObject
            {
                ["podSelector"] = Labels(("app", Name(i))),
                ["policyTypes"] = new JsonArray("Ingress", "Egress"),
                ["ingress"] = new JsonArray(
                    new JsonObject
                    {
                        ["from"] = new JsonArray(
                            new JsonObject { ["podSelector"] = Labels(("app", Name(i + 1))) },
                            new JsonObject
                            {
                                ["namespaceSelector"] = Labels(("kubernetes.io/metadata.name", "monitoring")),
                                ["podSelector"] = Labels(("app.kubernetes.io/name", "prometheus")),
                            }),
                        ["ports"] = new JsonArray(Port(8080), Port(9090)),
                    }),
                ["egress"] = new JsonArray(
                    new JsonObject
                    {
                        ["to"] = new JsonArray(new JsonObject { ["podSelector"] = Labels(("app", Name(i + 2))) }),
                        ["ports"] = new JsonArray(Port(8080)),
                    },
                    new JsonObject
                    {
                        ["to"] = new JsonArray(new JsonObject
                        {
                            ["namespaceSelector"] = Labels(("kubernetes.io/metadata.name", "kube-system")),
                            ["podSelector"] = Labels(("k8s-app", "kube-dns")),
                        }),
                        ["ports"] = new JsonArray(Port(53, "UDP"), Port(53)),
                    },
                    new JsonObject
                    {
                        ["to"] = new JsonArray(new JsonObject
                        {
                            ["ipBlock"] = new JsonObject
                            {
                                ["cidr"] = $"10.{subnet}.0.0/16",
                                ["except"] = new JsonArray($"10.{subnet}.255.0/24"),
                            },
                        }),
                        ["ports"] = new JsonArray(Port(443)),
                    }),
            },
        };
    }

    /// <summary>The object of an UPDATE review for policy <c>i</c>: server metadata added, and the spec per <paramref name="variant"/>.</summary>
    public static JsonObject Live(int i, PolicyCase variant, bool labelAdded)
    {
        var policy = Declared(i);
        var spec = policy["spec"]!.AsObject();
        switch (variant)
        {
            case PolicyCase.ReorderedEqual:
                spec["policyTypes"] = new JsonArray("Egress", "Ingress");
                var egress = spec["egress"]!.AsArray();
                var rules = egress.Select(r => r!.DeepClone()).Reverse().ToList();
                egress.Clear();
                foreach (var rule in rules)
                {
                    var ports = rule!["ports"]!.AsArray();
                    var reversed = ports.Select(p => p!.DeepClone()).Reverse().ToList();
                    ports.Clear();
                    foreach (var port in reversed)
                    {
                        ports.Add(port);
                    }

                    egress.Add(rule);
                }

                var from = spec["ingress"]![0]!["from"]!.AsArray();
                var peers = from.Select(p => p!.DeepClone()).Reverse().ToList();
                from.Clear();
                foreach (var peer in peers)
                {
                    from.Add(peer);
                }

                // A duplicate peer changes nothing: peers are OR-ed.
                from.Add(peers[0]!.DeepClone());
                break;
            case PolicyCase.Different:
                spec["ingress"]![0]!["ports"]!.AsArray().Add(Port(5432));
                break;
        }

        Defaulted(spec);
        policy["spec"] = InGoFieldOrder(spec);
        var metadata = policy["metadata"]!.AsObject();
        if (labelAdded)
        {
            metadata["labels"]!["tier"] = "backend";
        }

        var applied = Declared(i);
        applied["metadata"]!.AsObject().Remove("namespace");
        metadata["uid"] = "d93cebc8-58c5-4180-998f-b2d75034d210";
        metadata["resourceVersion"] = "48213";
        metadata["generation"] = 3;
        metadata["creationTimestamp"] = "2026-11-20T09:00:00Z";
        metadata["annotations"] = new JsonObject
        {
            ["kubectl.kubernetes.io/last-applied-configuration"] = applied.ToJsonString() + "\n",
            ["argocd.argoproj.io/tracking-id"] = $"{Namespace(i)}:networking.k8s.io/NetworkPolicy:{Namespace(i)}/{Name(i)}",
        };
        metadata["managedFields"] = new JsonArray(
            ManagedField("argocd-controller", "Apply", "2026-11-20T09:00:00Z"),
            ManagedField("kubectl-client-side-apply", "Update", "2026-11-27T01:48:51Z"));
        policy["status"] = new JsonObject();
        return policy;
    }

    /// <summary>A realistic UPDATE AdmissionReview (kubectl apply by a person) for policy <c>i</c>.</summary>
    public static byte[] Review(int i, PolicyCase variant)
    {
        var review = new JsonObject
        {
            ["kind"] = "AdmissionReview",
            ["apiVersion"] = "admission.k8s.io/v1",
            ["request"] = new JsonObject
            {
                ["uid"] = Uid,
                ["kind"] = Gvk("NetworkPolicy"),
                ["resource"] = Gvr(),
                ["requestKind"] = Gvk("NetworkPolicy"),
                ["requestResource"] = Gvr(),
                ["name"] = Name(i),
                ["namespace"] = Namespace(i),
                ["operation"] = "UPDATE",
                ["userInfo"] = new JsonObject
                {
                    ["username"] = "alice@example.com",
                    ["uid"] = "0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d",
                    ["groups"] = new JsonArray("platform-team", "system:authenticated"),
                },
                ["object"] = Live(i, variant, labelAdded: true),
                ["oldObject"] = Live(i, PolicyCase.Equal, labelAdded: false),
                ["dryRun"] = false,
                ["options"] = new JsonObject
                {
                    ["kind"] = "UpdateOptions",
                    ["apiVersion"] = "meta.k8s.io/v1",
                    ["fieldManager"] = "kubectl-client-side-apply",
                    ["fieldValidation"] = "Strict",
                },
            },
        };
        return JsonSerializer.SerializeToUtf8Bytes(review, JsonOptions);
    }

    /// <summary>Policy <c>i</c>'s manifest file: YAML as people write it, a second non-policy document in every 20th file.</summary>
    public static string Manifest(int i)
    {
        var text = new StringBuilder();
        text.Append("# ").Append(Name(i)).Append(": owned by ").Append(Namespace(i)).Append('\n');
        WriteYaml(text, Declared(i), 0, inSequence: false);
        if (i % 20 == 0)
        {
            text.Append("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: ").Append(Name(i))
                .Append("\n  namespace: ").Append(Namespace(i))
                .Append("\nspec:\n  selector:\n    app: ").Append(Name(i))
                .Append("\n  ports:\n  - port: 8080\n    targetPort: http\n");
        }

        return text.ToString();
    }

    /// <summary>Writes a Git repository (branch main, one commit) with <paramref name="count"/> policies; returns its path.</summary>
    public static string WriteRepository(string directory, int count)
    {
        Directory.CreateDirectory(directory);
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(directory, ManifestPath(i));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, Manifest(i));
        }

        File.WriteAllText(Path.Combine(directory, "README.md"), $"Synthetic GitOps repository: {count} NetworkPolicies.\n");
        CommitAndPack(directory, $"{count} policies");
        return directory;
    }

    /// <summary>Makes <paramref name="directory"/> a Git repository (branch main) with everything in it as one commit, packed.</summary>
    internal static void CommitAndPack(string directory, string message)
    {
        Git(directory, "init", "-q", "-b", "main");
        Git(directory, "add", "-A");
        Git(directory, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false", "-c", "gc.auto=0", "commit", "-q", "-m", message);

        // Packed, as a Git host keeps its repositories: serving loose objects would add a delta search to every clone.
        Git(directory, "repack", "-a", "-d", "-q");
    }

    /// <summary>
    /// Escaped as the API server's encoder (Go's encoding/json) escapes: a quote inside a string is <c>\"</c>,
    /// not the <c>\u0022</c> of the default encoder, which would make last-applied-configuration twice as long.
    /// </summary>
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static JsonObject Labels(params (string Key, string Value)[] labels)
    {
        var match = new JsonObject();
        foreach (var (key, value) in labels)
        {
            match[key] = value;
        }

        return new JsonObject { ["matchLabels"] = match };
    }

    private static JsonObject Port(int port, string? protocol = null)
    {
        var entry = new JsonObject { ["port"] = port };
        if (protocol is not null)
        {
            entry["protocol"] = protocol;
        }

        return entry;
    }

    /// <summary>
    /// The API server writes objects with Go's encoding/json: struct fields in declaration order, map
    /// keys sorted; list order is kept as the client sent it.
    /// </summary>
    private static JsonNode InGoFieldOrder(JsonNode node) => node switch
    {
        JsonObject obj when obj.ContainsKey("matchLabels") || obj.ContainsKey("matchExpressions") || obj.Count == 0 =>
            Ordered(obj, ["matchLabels", "matchExpressions"]),
        JsonObject obj when obj.ContainsKey("policyTypes") => Ordered(obj, ["podSelector", "ingress", "egress", "policyTypes"]),
        JsonObject obj when obj.ContainsKey("from") || obj.ContainsKey("to") || obj.ContainsKey("ports") => Ordered(obj, ["ports", "from", "to"]),
        JsonObject obj when obj.ContainsKey("port") => Ordered(obj, ["protocol", "port", "endPort"]),
        JsonObject obj when obj.ContainsKey("cidr") => Ordered(obj, ["cidr", "except"]),
        JsonObject obj => Ordered(obj, ["podSelector", "namespaceSelector", "ipBlock"]),
        JsonArray list => new JsonArray([.. list.Select(item => InGoFieldOrder(item!))]),
        _ => node.DeepClone(),
    };

    private static JsonObject Ordered(JsonObject obj, string[] fields)
    {
        var ordered = new JsonObject();
        foreach (var field in fields.Where(obj.ContainsKey))
        {
            ordered[field] = field == "matchLabels"
                ? new JsonObject(obj[field]!.AsObject().OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => KeyValuePair.Create(l.Key, l.Value?.DeepClone())))
                : InGoFieldOrder(obj[field]!);
        }

        return ordered;
    }

    /// <summary>What the API server's defaulting does before webhooks see the object: protocol TCP.</summary>
    private static void Defaulted(JsonObject spec)
    {
        foreach (var direction in new[] { "ingress", "egress" })
        {
            foreach (var rule in spec[direction]!.AsArray())
            {
                foreach (var port in rule!["ports"]!.AsArray())
                {
                    if (port!["protocol"] is null)
                    {
                        port["protocol"] = "TCP";
                    }
                }
            }
        }
    }

    private static JsonObject ManagedField(string manager, string operation, string time) => new()
    {
        ["manager"] = manager,
        ["operation"] = operation,
        ["apiVersion"] = "networking.k8s.io/v1",
        ["time"] = time,
        ["fieldsType"] = "FieldsV1",
        ["fieldsV1"] = new JsonObject
        {
            ["f:metadata"] = new JsonObject
            {
                ["f:annotations"] = new JsonObject { ["."] = new JsonObject(), ["f:kubectl.kubernetes.io/last-applied-configuration"] = new JsonObject() },
                ["f:labels"] = new JsonObject { ["."] = new JsonObject(), ["f:app.kubernetes.io/part-of"] = new JsonObject(), ["f:tier"] = new JsonObject() },
            },
            ["f:spec"] = new JsonObject
            {
                ["f:egress"] = new JsonObject(),
                ["f:ingress"] = new JsonObject(),
                ["f:podSelector"] = new JsonObject(),
                ["f:policyTypes"] = new JsonObject(),
            },
        },
    };

    private static JsonObject Gvk(string kind) => new() { ["group"] = "networking.k8s.io", ["version"] = "v1", ["kind"] = kind };

    private static JsonObject Gvr() => new() { ["group"] = "networking.k8s.io", ["version"] = "v1", ["resource"] = "networkpolicies" };

    /// <summary>Block-style YAML; strings are plain where YAML would not read them as anything else.</summary>
    private static void WriteYaml(StringBuilder text, JsonNode node, int indent, bool inSequence)
    {
        switch (node)
        {
            case JsonObject obj:
                var first = true;
                foreach (var (key, value) in obj)
                {
                    if (!(first && inSequence))
                    {
                        text.Append(' ', indent);
                    }

                    first = false;
                    text.Append(Scalar(key)).Append(':');
                    WriteChild(text, value!, indent);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    text.Append(' ', indent).Append("- ");
                    if (item is JsonObject { Count: > 0 })
                    {
                        WriteYaml(text, item, indent + 2, inSequence: true);
                    }
                    else
                    {
                        text.Append(ScalarText(item!)).Append('\n');
                    }
                }

                break;
        }
    }

    private static void WriteChild(StringBuilder text, JsonNode value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: 0 }:
                text.Append(" {}\n");
                break;
            case JsonArray { Count: 0 }:
                text.Append(" []\n");
                break;
            case JsonObject:
                text.Append('\n');
                WriteYaml(text, value, indent + 2, inSequence: false);
                break;
            case JsonArray array when array.All(v => v is JsonValue):
                // Flow style for short scalar lists, as in "policyTypes: [Ingress, Egress]".
                text.Append(" [").Append(string.Join(", ", array.Select(v => ScalarText(v!)))).Append("]\n");
                break;
            case JsonArray:
                text.Append('\n');
                WriteYaml(text, value, indent, inSequence: false);
                break;
            default:
                text.Append(' ').Append(ScalarText(value)).Append('\n');
                break;
        }
    }

    private static string ScalarText(JsonNode value) =>
        value.GetValueKind() == JsonValueKind.String ? Scalar(value.GetValue<string>()) : value.ToJsonString();

    private static string Scalar(string text) =>
        PlainString().IsMatch(text) && !Reserved.Contains(text) ? text : JsonSerializer.Serialize(text);

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase) { "y", "n", "yes", "no", "on", "off", "true", "false", "null" };

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9._/-]*$")]
    private static partial Regex PlainString();

    /// <summary>A YAML document of <paramref name="node"/>, in the block style <see cref="Manifest"/> writes.</summary>
    internal static string Yaml(JsonNode node)
    {
        var text = new StringBuilder();
        WriteYaml(text, node, 0, inSequence: false);
        return text.ToString();
    }

    private static void Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var git = Process.Start(start)!;
        var errors = git.StandardError.ReadToEnd();
        if (!git.WaitForExit(TimeSpan.FromMinutes(2)) || git.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {errors}");
        }
    }
}
