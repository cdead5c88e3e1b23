namespace Mqtt.Broker;

/// <summary>Counts a trie's nodes, for tests and diagnostics: without recursion, as topics may be deep.</summary>
internal static class TrieNodes
{
    public static int Count<TNode>(TNode root, Func<TNode, IEnumerable<TNode>> children)
        where TNode : class
    {
        int count = 0;
        var pending = new Stack<TNode>([root]);
        while (pending.TryPop(out TNode? node))
        {
            count++;
            foreach (TNode child in children(node))
            {
                pending.Push(child);
            }
        }
        return count;
    }
}
