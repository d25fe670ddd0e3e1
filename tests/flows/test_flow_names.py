"""NameCache: learning names from DNS answers and filling flows' *_names."""

from __future__ import annotations

import flow_samples as samples

from beholder.flows import DNS, IP, Flow, NameCache

S = 1_000_000_000


def test_learns_from_dns_answer_and_enriches_later_flow() -> None:
    cache = NameCache()
    cache.observe(samples.dns_answer())
    later = samples.tcp_closed()
    later.destination_names = []
    cache.observe(later)
    assert later.destination_names == ["example.com."]
    assert later.source_names == []


def test_queries_and_errors_are_not_learned() -> None:
    cache = NameCache()
    cache.observe(samples.dns_query())
    cache.learn(DNS(query="x.", ips=["10.0.0.9"], rcode=3), 0)
    assert len(cache) == 0


def test_cnames_and_expiry() -> None:
    cache = NameCache(min_ttl_s=10)
    cache.learn(
        DNS(query="www.example.", cnames=["cdn.example."], ips=["::ffff:10.0.0.7"], ttl=60), 0
    )
    assert cache.names_for("10.0.0.7", 59 * S) == ["cdn.example.", "www.example."]
    assert cache.names_for("10.0.0.7", 61 * S) == []
    assert len(cache) == 0
    cache.learn(DNS(query="short.example.", ips=["10.0.0.8"], ttl=1), 0)
    assert cache.names_for("10.0.0.8", 5 * S) == ["short.example."]  # min TTL applies


def test_bounded_lru() -> None:
    cache = NameCache(max_ips=2)
    for i in range(3):
        cache.learn(DNS(query=f"h{i}.", ips=[f"10.0.0.{i}"], ttl=60), 0)
    assert len(cache) == 2
    assert cache.names_for("10.0.0.0", 0) == []
    assert cache.names_for("10.0.0.2", 0) == ["h2."]


def test_existing_names_are_kept() -> None:
    cache = NameCache()
    cache.learn(DNS(query="a.", ips=["10.0.0.1"], ttl=60), 0)
    flow = Flow(ip=IP("10.0.0.1", "10.0.0.2"), source_names=["mine."])
    cache.enrich(flow)
    assert flow.source_names == ["mine."]
