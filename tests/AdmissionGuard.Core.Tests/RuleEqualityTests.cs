using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Tests;

/// <summary>Rules and peers compare part by part, and agree exactly with their canonical keys.</summary>
public sealed class RuleEqualityTests
{
    /// <summary>Egress rules that differ in one part each, and spellings of the same rule.</summary>
    private static readonly string[] Rules =
    [
        """{}""",
        """{"to":[]}""",
        """{"ports":[{"port":53}]}""",
        """{"ports":[{"port":53,"protocol":"UDP"}]}""",
        """{"ports":[{"port":53},{"port":53,"protocol":"UDP"}]}""",
        """{"ports":[{"port":53,"protocol":"UDP"},{"port":53}]}""",
        """{"ports":[{"port":53,"endPort":60}]}""",
        """{"ports":[{"port":"dns"}]}""",
        """{"to":[{"podSelector":{}}]}""",
        """{"to":[{"podSelector":{"matchLabels":{"app":"web"}}}]}""",
        """{"to":[{"podSelector":{"matchLabels":{"app":"api"}}}]}""",
        """{"to":[{"namespaceSelector":{}}]}""",
        """{"to":[{"namespaceSelector":{},"podSelector":{}}]}""",
        """{"to":[{"namespaceSelector":{"matchLabels":{"app":"web"}}}]}""",
        """{"to":[{"namespaceSelector":{"matchLabels":{"team":"a"}},"podSelector":{"matchLabels":{"app":"web"}}}]}""",
        """{"to":[{"namespaceSelector":{"matchExpressions":[{"key":"team","operator":"In","values":["a","b"]}]}}]}""",
        """{"to":[{"namespaceSelector":{"matchExpressions":[{"key":"team","operator":"In","values":["b","a"]}]}}]}""",
        """{"to":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}""",
        """{"to":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}]}""",
        """{"to":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.2.0.0/16"]}}]}""",
        """{"to":[{"ipBlock":{"cidr":"10.0.0.0/8"}},{"podSelector":{"matchLabels":{"app":"web"}}}]}""",
        """{"to":[{"podSelector":{"matchLabels":{"app":"web"}}},{"ipBlock":{"cidr":"10.0.0.0/8"}}],"ports":[{"port":443}]}""",
        """{"to":[{"podSelector":{"matchLabels":{"app":"web"}}},{"ipBlock":{"cidr":"10.0.0.0/8"}}]}""",
    ];

    private static PolicyRule Rule(string json) =>
        Policies.Spec($$"""{"podSelector":{},"policyTypes":["Egress"],"egress":[{{json}}]}""").Spec.Egress.Single();

    [Fact]
    public void Every_pair_of_rules_is_equal_exactly_when_their_keys_are_and_equal_rules_hash_alike()
    {
        var rules = Rules.Select(Rule).ToArray();
        var equalPairs = 0;

        foreach (var a in rules)
        {
            foreach (var b in rules)
            {
                var sameKey = a.Key == b.Key;
                Assert.True(sameKey == a.Equals(b), $"{a.Key} vs {b.Key}: keys {(sameKey ? "equal" : "differ")}, rules {(a.Equals(b) ? "equal" : "differ")}");
                Assert.Equal(a.PeersKey == b.PeersKey, a.SamePeers(b));
                Assert.Equal(a.PortsKey == b.PortsKey, a.SamePorts(b));
                for (var i = 0; i < Math.Min(a.Peers.Length, b.Peers.Length); i++)
                {
                    var (peerA, peerB) = (a.Peers[i], b.Peers[i]);
                    Assert.Equal(peerA.Key == peerB.Key, peerA.Equals(peerB));
                    Assert.True(!peerA.Equals(peerB) || peerA.GetHashCode() == peerB.GetHashCode(), $"{peerA.Key}: equal peers hash alike");
                }

                if (sameKey)
                {
                    Assert.Equal(a.GetHashCode(), b.GetHashCode());
                    equalPairs++;
                }
            }
        }

        // Each rule with itself, and both orders of the five pairs written two ways: no peers and an empty peer list, the
        // two ports in either order, a namespace selector with or without an empty pod selector, a value set in either
        // order, the two peers in either order.
        Assert.Equal(rules.Length + (5 * 2), equalPairs);
    }
}
