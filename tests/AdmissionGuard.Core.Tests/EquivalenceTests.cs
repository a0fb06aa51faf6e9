using AdmissionGuard.Core.Decisions;

namespace AdmissionGuard.Core.Tests;

/// <summary>How README.md's "How it decides" defines equivalence: spellings the API server treats alike compare equal; changes in meaning do not.</summary>
public class EquivalenceTests
{
    public static TheoryData<string, string, string> SameMeaning => new()
    {
        // The API server's defaulting.
        {
            "port without protocol is TCP",
            """{"ingress":[{"ports":[{"port":80}]}]}""",
            """{"ingress":[{"ports":[{"protocol":"TCP","port":80}]}]}"""
        },
        {
            "null protocol is TCP",
            """{"ingress":[{"ports":[{"protocol":null,"port":80}]}]}""",
            """{"ingress":[{"ports":[{"protocol":"TCP","port":80}]}]}"""
        },
        {
            "empty port entry is every TCP port",
            """{"ingress":[{"ports":[{}]}]}""",
            """{"ingress":[{"ports":[{"protocol":"TCP"}]}]}"""
        },
        {
            "missing policyTypes without egress rules is [Ingress]",
            """{"podSelector":{}}""",
            """{"podSelector":{},"policyTypes":["Ingress"]}"""
        },
        {
            "empty policyTypes without egress rules is [Ingress]",
            """{"podSelector":{},"policyTypes":[]}""",
            """{"podSelector":{},"policyTypes":["Ingress"]}"""
        },
        {
            "null policyTypes is defaulted like missing",
            """{"podSelector":{},"policyTypes":null}""",
            """{"podSelector":{},"policyTypes":["Ingress"]}"""
        },
        {
            "missing policyTypes with egress rules is [Ingress, Egress]",
            """{"egress":[{"to":[{"podSelector":{}}]}]}""",
            """{"egress":[{"to":[{"podSelector":{}}]}],"policyTypes":["Ingress","Egress"]}"""
        },
        {
            "empty policyTypes with egress rules is [Ingress, Egress]",
            """{"egress":[{}],"policyTypes":[]}""",
            """{"egress":[{}],"policyTypes":["Ingress","Egress"]}"""
        },
        {
            "missing policyTypes with an empty egress list is [Ingress] only",
            """{"egress":[]}""",
            """{"policyTypes":["Ingress"]}"""
        },

        // Peer podSelector: semantic equality applied to both sides.
        {
            "namespaceSelector peer without podSelector equals one with podSelector {}",
            """{"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"a"}}}]}]}""",
            """{"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"a"}},"podSelector":{}}]}]}"""
        },
        {
            "namespaceSelector peer with null podSelector equals one with podSelector {}",
            """{"ingress":[{"from":[{"namespaceSelector":{},"podSelector":null}]}]}""",
            """{"ingress":[{"from":[{"namespaceSelector":{},"podSelector":{}}]}]}"""
        },
        {
            "null ipBlock next to a podSelector is no ipBlock",
            """{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"a"}},"ipBlock":null}]}]}""",
            """{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"a"}}}]}]}"""
        },

        // Absent, null and empty lists and maps.
        { "missing ingress equals null ingress", """{}""", """{"ingress":null}""" },
        { "missing ingress equals empty ingress", """{}""", """{"ingress":[]}""" },
        {
            "missing egress equals null egress",
            """{"policyTypes":["Ingress","Egress"]}""",
            """{"policyTypes":["Ingress","Egress"],"egress":null}"""
        },
        {
            "missing egress equals empty egress",
            """{"policyTypes":["Ingress","Egress"]}""",
            """{"policyTypes":["Ingress","Egress"],"egress":[]}"""
        },
        {
            "missing from equals null from",
            """{"ingress":[{"ports":[{"port":80}]}]}""",
            """{"ingress":[{"from":null,"ports":[{"port":80}]}]}"""
        },
        {
            "missing from equals empty from",
            """{"ingress":[{"ports":[{"port":80}]}]}""",
            """{"ingress":[{"from":[],"ports":[{"port":80}]}]}"""
        },
        {
            "missing to equals null and empty to",
            """{"egress":[{"to":null,"ports":[{"port":53,"protocol":"UDP"}]}]}""",
            """{"egress":[{"to":[],"ports":[{"port":53,"protocol":"UDP"}]}]}"""
        },
        {
            "missing ports equals null ports",
            """{"ingress":[{"from":[{"podSelector":{}}]}]}""",
            """{"ingress":[{"from":[{"podSelector":{}}],"ports":null}]}"""
        },
        {
            "missing ports equals empty ports",
            """{"ingress":[{"from":[{"podSelector":{}}]}]}""",
            """{"ingress":[{"from":[{"podSelector":{}}],"ports":[]}]}"""
        },
        {
            "empty rule equals rule with empty from and ports",
            """{"ingress":[{}]}""",
            """{"ingress":[{"from":[],"ports":[]}]}"""
        },
        {
            "missing except equals null except",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}]}""",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":null}}]}]}"""
        },
        {
            "missing except equals empty except",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}]}""",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":[]}}]}]}"""
        },
        {
            "missing matchExpressions equals null and empty matchExpressions",
            """{"podSelector":{"matchLabels":{"app":"web"},"matchExpressions":null}}""",
            """{"podSelector":{"matchLabels":{"app":"web"},"matchExpressions":[]}}"""
        },
        {
            "missing matchLabels equals null matchLabels",
            """{"ingress":[{"from":[{"namespaceSelector":{}}]}]}""",
            """{"ingress":[{"from":[{"namespaceSelector":{"matchLabels":null}}]}]}"""
        },
        {
            "missing matchLabels equals empty matchLabels",
            """{"ingress":[{"from":[{"namespaceSelector":{}}]}]}""",
            """{"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{}}}]}]}"""
        },
        { "missing top-level podSelector equals podSelector {}", """{}""", """{"podSelector":{}}""" },
        { "null top-level podSelector equals podSelector {}", """{"podSelector":null}""", """{"podSelector":{}}""" },
        { "null spec equals empty spec", """null""", """{"podSelector":{}}""" },

        // Order and duplicates.
        {
            "rule order does not matter",
            """{"ingress":[{"ports":[{"port":80}]},{"ports":[{"port":443}]}]}""",
            """{"ingress":[{"ports":[{"port":443}]},{"ports":[{"port":80}]}]}"""
        },
        {
            "peer order does not matter",
            """{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"a"}}},{"ipBlock":{"cidr":"10.0.0.0/8"}},{"namespaceSelector":{}}]}]}""",
            """{"ingress":[{"from":[{"namespaceSelector":{}},{"ipBlock":{"cidr":"10.0.0.0/8"}},{"podSelector":{"matchLabels":{"app":"a"}}}]}]}"""
        },
        {
            "port order does not matter",
            """{"egress":[{"ports":[{"port":53,"protocol":"UDP"},{"port":53},{"port":"dns"}]}]}""",
            """{"egress":[{"ports":[{"port":"dns"},{"port":53,"protocol":"TCP"},{"port":53,"protocol":"UDP"}]}]}"""
        },
        {
            "matchExpressions order does not matter",
            """{"podSelector":{"matchExpressions":[{"key":"tier","operator":"In","values":["a"]},{"key":"env","operator":"Exists"}]}}""",
            """{"podSelector":{"matchExpressions":[{"key":"env","operator":"Exists"},{"key":"tier","operator":"In","values":["a"]}]}}"""
        },
        {
            "values order does not matter",
            """{"podSelector":{"matchExpressions":[{"key":"tier","operator":"NotIn","values":["b","a","c"]}]}}""",
            """{"podSelector":{"matchExpressions":[{"key":"tier","operator":"NotIn","values":["a","b","c"]}]}}"""
        },
        {
            "policyTypes order does not matter",
            """{"policyTypes":["Egress","Ingress"]}""",
            """{"policyTypes":["Ingress","Egress"]}"""
        },
        {
            "except order does not matter",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.2.0.0/16","10.1.0.0/16"]}}]}]}""",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16","10.2.0.0/16"]}}]}]}"""
        },
        {
            "matchLabels key order does not matter",
            """{"podSelector":{"matchLabels":{"b":"2","a":"1"}}}""",
            """{"podSelector":{"matchLabels":{"a":"1","b":"2"}}}"""
        },
        {
            "duplicate rules count once",
            """{"ingress":[{"ports":[{"port":80}]},{"ports":[{"port":80,"protocol":"TCP"}]}]}""",
            """{"ingress":[{"ports":[{"port":80}]}]}"""
        },
        {
            "duplicate empty rules count once",
            """{"ingress":[{},{}]}""",
            """{"ingress":[{}]}"""
        },
        {
            "duplicate peers count once",
            """{"ingress":[{"from":[{"namespaceSelector":{}},{"namespaceSelector":{},"podSelector":{}}]}]}""",
            """{"ingress":[{"from":[{"namespaceSelector":{}}]}]}"""
        },
        {
            "duplicate ports count once",
            """{"ingress":[{"ports":[{"port":80},{"port":80,"protocol":"TCP"}]}]}""",
            """{"ingress":[{"ports":[{"port":80}]}]}"""
        },
        {
            "duplicate values count once",
            """{"podSelector":{"matchExpressions":[{"key":"tier","operator":"In","values":["a","a","b"]}]}}""",
            """{"podSelector":{"matchExpressions":[{"key":"tier","operator":"In","values":["b","a"]}]}}"""
        },
        {
            "duplicate matchExpressions count once",
            """{"podSelector":{"matchExpressions":[{"key":"env","operator":"Exists"},{"key":"env","operator":"Exists","values":[]}]}}""",
            """{"podSelector":{"matchExpressions":[{"key":"env","operator":"Exists"}]}}"""
        },
        {
            "duplicate except entries count once",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16","10.1.0.0/16"]}}]}]}""",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}]}]}"""
        },
        {
            "duplicate policyTypes count once",
            """{"policyTypes":["Ingress","Ingress"]}""",
            """{"policyTypes":["Ingress"]}"""
        },

        // Networks, not spellings.
        {
            "CIDR with host bits equals its network",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.1/8"}}]}]}""",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}]}"""
        },
        {
            "except with host bits equals its network",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.2.3/16"]}}]}]}""",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}]}]}"""
        },
        {
            "IPv4 octets with leading zeros read as decimal",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"010.001.000.000/16"}}]}]}""",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.1.0.0/16"}}]}]}"""
        },
        {
            "IPv6 upper case, expanded and compressed spellings are one network",
            """{"egress":[{"to":[{"ipBlock":{"cidr":"2001:0DB8:0000:0000:0000:0000:0000:0000/32"}}]}]}""",
            """{"egress":[{"to":[{"ipBlock":{"cidr":"2001:db8::/32"}}]}]}"""
        },
        {
            "IPv6 CIDR with host bits equals its network",
            """{"egress":[{"to":[{"ipBlock":{"cidr":"2001:db8:abcd:12::1/48"}}]}]}""",
            """{"egress":[{"to":[{"ipBlock":{"cidr":"2001:db8:abcd::/48"}}]}]}"""
        },
        {
            "endPort equal to port is that one port",
            """{"ingress":[{"ports":[{"port":80,"endPort":80}]}]}""",
            """{"ingress":[{"ports":[{"port":80}]}]}"""
        },
    };

    public static TheoryData<string, string, string> DifferentMeaning => new()
    {
        {
            "no ingress rules (deny all) differs from one empty rule (allow all)",
            """{"policyTypes":["Ingress"]}""",
            """{"policyTypes":["Ingress"],"ingress":[{}]}"""
        },
        {
            "no egress rules differs from one empty egress rule",
            """{"policyTypes":["Ingress","Egress"]}""",
            """{"policyTypes":["Ingress","Egress"],"egress":[{}]}"""
        },
        {
            "podSelector {} peer (own namespace) differs from namespaceSelector {} peer (every namespace)",
            """{"ingress":[{"from":[{"podSelector":{}}]}]}""",
            """{"ingress":[{"from":[{"namespaceSelector":{}}]}]}"""
        },
        {
            "empty from (anywhere) differs from podSelector {} (own namespace)",
            """{"ingress":[{"from":[]}]}""",
            """{"ingress":[{"from":[{"podSelector":{}}]}]}"""
        },
        {
            "namespaceSelector {} next to a podSelector differs from no namespaceSelector",
            """{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"a"}},"namespaceSelector":{}}]}]}""",
            """{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"a"}}}]}]}"""
        },
        {
            "named port differs from numeric port",
            """{"ingress":[{"ports":[{"port":"http"}]}]}""",
            """{"ingress":[{"ports":[{"port":80}]}]}"""
        },
        {
            "different CIDR prefixes differ",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}]}""",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/16"}}]}]}"""
        },
        {
            "except present differs from no except",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}]}]}""",
            """{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}]}"""
        },
        { "UDP differs from TCP", """{"ingress":[{"ports":[{"port":53,"protocol":"UDP"}]}]}""", """{"ingress":[{"ports":[{"port":53}]}]}""" },
        { "SCTP differs from TCP", """{"ingress":[{"ports":[{"port":53,"protocol":"SCTP"}]}]}""", """{"ingress":[{"ports":[{"port":53,"protocol":"TCP"}]}]}""" },
        { "UDP differs from SCTP", """{"ingress":[{"ports":[{"port":53,"protocol":"UDP"}]}]}""", """{"ingress":[{"ports":[{"port":53,"protocol":"SCTP"}]}]}""" },
        {
            "protocol-only port (every port) differs from a numbered port",
            """{"ingress":[{"ports":[{"protocol":"TCP"}]}]}""",
            """{"ingress":[{"ports":[{"protocol":"TCP","port":80}]}]}"""
        },
        {
            "port range differs from its first port",
            """{"ingress":[{"ports":[{"port":8000,"endPort":9000}]}]}""",
            """{"ingress":[{"ports":[{"port":8000}]}]}"""
        },
        {
            "policyTypes [Ingress] differs from [Ingress, Egress]",
            """{"policyTypes":["Ingress"]}""",
            """{"policyTypes":["Ingress","Egress"]}"""
        },
        {
            "matchLabels values that differ",
            """{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"a"}}}]}]}""",
            """{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"b"}}}]}]}"""
        },
        {
            "top-level podSelector that differs",
            """{"podSelector":{"matchLabels":{"app":"web"}}}""",
            """{"podSelector":{}}"""
        },
        {
            "In differs from NotIn",
            """{"podSelector":{"matchExpressions":[{"key":"tier","operator":"In","values":["a"]}]}}""",
            """{"podSelector":{"matchExpressions":[{"key":"tier","operator":"NotIn","values":["a"]}]}}"""
        },
        {
            "Exists differs from DoesNotExist",
            """{"podSelector":{"matchExpressions":[{"key":"tier","operator":"Exists"}]}}""",
            """{"podSelector":{"matchExpressions":[{"key":"tier","operator":"DoesNotExist"}]}}"""
        },
        {
            "swapping ports between two rules changes who reaches what",
            """{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"a"}}}],"ports":[{"port":80}]},{"from":[{"podSelector":{"matchLabels":{"app":"b"}}}],"ports":[{"port":443}]}]}""",
            """{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"a"}}}],"ports":[{"port":443}]},{"from":[{"podSelector":{"matchLabels":{"app":"b"}}}],"ports":[{"port":80}]}]}"""
        },
        {
            "the same rule under ingress and under egress differ",
            """{"policyTypes":["Ingress","Egress"],"ingress":[{"ports":[{"port":80}]}]}""",
            """{"policyTypes":["Ingress","Egress"],"egress":[{"ports":[{"port":80}]}]}"""
        },
    };

    [Theory]
    [MemberData(nameof(SameMeaning))]
    public void Spellings_with_the_same_meaning_are_equivalent(string behaviour, string left, string right)
    {
        var (a, b) = (Policies.Spec(left), Policies.Spec(right));

        Assert.True(a.Spec.Key == b.Spec.Key, $"{behaviour}:\n  {a.Spec.Key}\n  {b.Spec.Key}");
        Assert.Equal(a.Spec, b.Spec);
        Assert.Equal(a.Spec.GetHashCode(), b.Spec.GetHashCode());
        Assert.True(Decide.Equivalent(a, b, new DecisionSettings()), behaviour);
        Assert.Empty(PolicyDiff.Between(a, b));
    }

    [Theory]
    [MemberData(nameof(DifferentMeaning))]
    public void Changes_in_meaning_are_not_equivalent_and_the_diff_says_what_changed(string behaviour, string left, string right)
    {
        var (a, b) = (Policies.Spec(left), Policies.Spec(right));

        Assert.False(a.Spec.Key == b.Spec.Key, $"{behaviour}: both read as {a.Spec.Key}");
        Assert.NotEqual(a.Spec, b.Spec);
        Assert.False(Decide.Equivalent(a, b, new DecisionSettings()), behaviour);
        Assert.NotEmpty(PolicyDiff.Between(a, b));
        Assert.NotEmpty(PolicyDiff.Between(b, a));
    }

    private const string Spec = """{"podSelector":{"matchLabels":{"app":"web"}}}""";

    private static readonly MetadataFilter CompiledFilter = new(
        [.. DecisionSettings.DefaultIgnoredMetadataKeys, "admissionguard.io/break-glass", "admissionguard.io/break-glass-expires"]);

    public static TheoryData<string, string, string, bool, bool> Metadata => new()
    {
        { "labels differ, metadata not compared", """{"labels":{"team":"a"}}""", """{"labels":{"team":"b"}}""", false, true },
        { "annotations differ, metadata not compared", """{"annotations":{"owner":"a"}}""", "{}", false, true },
        { "labels differ, metadata compared", """{"labels":{"team":"a"}}""", """{"labels":{"team":"b"}}""", true, false },
        { "label added, metadata compared", "{}", """{"labels":{"team":"a"}}""", true, false },
        { "annotation removed, metadata compared", """{"annotations":{"owner":"a"}}""", "{}", true, false },
        { "same labels in another order, metadata compared", """{"labels":{"a":"1","b":"2"}}""", """{"labels":{"b":"2","a":"1"}}""", true, true },
        { "null labels equal no labels, metadata compared", """{"labels":null}""", "{}", true, true },
        {
            "ignored exact key differs, metadata compared",
            """{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}}""",
            """{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"spec\":{}}"}}""",
            true, true
        },
        { "ignored exact label differs, metadata compared", """{"labels":{"app.kubernetes.io/instance":"a"}}""", "{}", true, true },
        {
            "key under an ignored prefix differs, metadata compared",
            """{"annotations":{"argocd.argoproj.io/tracking-id":"a"}}""",
            """{"annotations":{"argocd.argoproj.io/tracking-id":"b","meta.helm.sh/release-name":"x"}}""",
            true, true
        },
        {
            "a key that only starts like a prefix is governed, metadata compared",
            """{"annotations":{"argocd.argoproj.io.example/x":"a"}}""",
            "{}",
            true, false
        },
        {
            "break-glass annotations are ignored, metadata compared",
            "{}",
            """{"annotations":{"admissionguard.io/break-glass":"INC-1","admissionguard.io/break-glass-expires":"2026-11-27T14:00:00Z"}}""",
            true, true
        },
    };

    [Theory]
    [MemberData(nameof(Metadata))]
    public void Metadata_counts_only_when_compared_and_not_ignored(string behaviour, string leftMetadata, string rightMetadata, bool compareMetadata, bool equivalent)
    {
        var settings = new DecisionSettings { CompareMetadata = compareMetadata ? CompiledFilter : null };
        var (a, b) = (Policies.Spec(Spec, leftMetadata), Policies.Spec(Spec, rightMetadata));

        Assert.True(Decide.Equivalent(a, b, settings) == equivalent, behaviour);
        Assert.True(Decide.Equivalent(b, a, settings) == equivalent, behaviour);
        Assert.Equal(equivalent, PolicyDiff.Between(a, b, settings.CompareMetadata).IsEmpty);
    }

    [Fact]
    public void Custom_break_glass_annotations_are_ignored_once_added_to_the_ignored_keys()
    {
        var filter = new MetadataFilter([.. DecisionSettings.DefaultIgnoredMetadataKeys, "example.com/emergency", "example.com/emergency-until"]);
        var settings = new DecisionSettings { CompareMetadata = filter };
        var plain = Policies.Spec(Spec);
        var annotated = Policies.Spec(Spec, """{"annotations":{"example.com/emergency":"INC-1","example.com/emergency-until":"2026-11-27T14:00:00Z"}}""");
        var other = Policies.Spec(Spec, """{"annotations":{"example.com/emergency-contact":"ops"}}""");

        Assert.True(Decide.Equivalent(plain, annotated, settings));
        Assert.False(Decide.Equivalent(plain, other, settings));
    }

    [Fact]
    public void A_copy_with_other_rules_is_keyed_and_compared_by_its_own_rules()
    {
        var spec = Policies.Spec("""{"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]}""").Spec;
        var key = spec.Key;

        var copy = spec with { Ingress = [] };

        Assert.NotEqual(key, copy.Key);
        Assert.DoesNotContain("TCP/80", copy.Key, StringComparison.Ordinal);
        Assert.NotEqual(spec, copy);
    }
}
