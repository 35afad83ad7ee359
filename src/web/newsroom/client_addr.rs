//! The client's address behind trusted proxies: what login throttling, sessions and the audit
//! log record. Pure over the peer address and the request headers.
//!
//! `X-Forwarded-For` and `Forwarded` are written by whoever sends the request, so they are
//! read only when the connection comes from a configured proxy, and then from the right: each
//! trusted proxy appends the address it was connected from, so the right-most hop that is not
//! itself a trusted proxy is the client. Anything left of it may be forged by the client.
//! `X-Forwarded-For` is preferred when both are present, as it is what nearly every proxy and
//! CDN sets; a proxy that sets only `Forwarded` must drop a client's `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client's address, as text for the store: `peer` unless it is a trusted proxy, in
/// which case the right-most untrusted hop of the forwarding headers. `"local"` when there is
/// no connection address (requests driven in-process).
pub fn client_address(peer: Option<SocketAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> String {
    let Some(peer) = peer else {
        return "local".to_owned();
    };
    let peer = peer.ip().to_canonical();
    if !is_trusted(peer, trusted) {
        return peer.to_string();
    }
    let hops = forwarded_for(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop that is not an address (garbage, "unknown", an obfuscated name) was not
        // written by a trusted proxy: stop at the last address we can vouch for.
        let Some(addr) = hop else { break };
        client = *addr;
        if !is_trusted(client, trusted) {
            break;
        }
    }
    client.to_string()
}

fn is_trusted(addr: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&addr))
}

/// The hops of `X-Forwarded-For` (every such header, in order) or, without it, the `for=`
/// of `Forwarded`; `None` for a hop that is not an IP address.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or("\u{0}"))
        .collect();
    if !xff.is_empty() {
        return xff
            .iter()
            .flat_map(|v| v.split(','))
            .map(parse_hop)
            .collect();
    }
    headers
        .get_all("forwarded")
        .iter()
        .map(|v| v.to_str().unwrap_or("\u{0}"))
        .flat_map(|v| v.split(','))
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, v)| parse_hop(v))
        })
        .collect()
}

/// `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, or the same in
/// double quotes (as `Forwarded` writes IPv6).
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Some(rest) = text.strip_prefix('[') {
        return rest
            .split(']')
            .next()?
            .parse::<IpAddr>()
            .ok()
            .map(|a| a.to_canonical());
    }
    if let Ok(addr) = text.parse::<IpAddr>() {
        return Some(addr.to_canonical());
    }
    text.parse::<SocketAddr>()
        .ok()
        .map(|s| s.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter()
            .map(|n| {
                n.parse::<IpNet>()
                    .unwrap_or_else(|_| IpNet::from(n.parse::<IpAddr>().unwrap()))
            })
            .collect()
    }

    fn addr(peer: &str, headers: &[(&str, &str)], trusted: &[&str]) -> String {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                axum::http::HeaderValue::from_str(v).unwrap(),
            );
        }
        client_address(Some(peer.parse().unwrap()), &map, &nets(trusted))
    }

    const PROXIES: &[&str] = &["127.0.0.1", "10.0.0.0/8", "fd00::/8"];

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let spoof = [("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")];
        assert_eq!(addr("198.51.100.9:5000", &spoof, PROXIES), "198.51.100.9");
        assert_eq!(addr("198.51.100.9:5000", &spoof, &[]), "198.51.100.9");
        assert_eq!(addr("127.0.0.1:5000", &spoof, &[]), "127.0.0.1");
        assert_eq!(
            client_address(None, &HeaderMap::new(), &nets(PROXIES)),
            "local"
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
        let xff = |v| addr("127.0.0.1:80", &[("x-forwarded-for", v)], PROXIES);
        assert_eq!(xff("203.0.113.7"), "203.0.113.7");
        // The client wrote "1.2.3.4" itself; our proxy appended what it saw.
        assert_eq!(xff("1.2.3.4, 203.0.113.7"), "203.0.113.7");
        // A chain of our own proxies (10.x) is walked through.
        assert_eq!(
            xff("1.2.3.4, 203.0.113.7, 10.0.0.5, 10.1.2.3"),
            "203.0.113.7"
        );
        // Every hop ours: the left-most is as far as anyone knows.
        assert_eq!(xff("10.0.0.9, 10.0.0.5"), "10.0.0.9");
        // Several header lines are one list, in order.
        assert_eq!(
            addr(
                "10.0.0.1:80",
                &[
                    ("x-forwarded-for", "1.2.3.4"),
                    ("x-forwarded-for", "203.0.113.8, 10.0.0.2")
                ],
                PROXIES
            ),
            "203.0.113.8"
        );
        // With a port.
        assert_eq!(xff("203.0.113.7:4711"), "203.0.113.7");
        // No forwarding header: the proxy itself.
        assert_eq!(addr("127.0.0.1:80", &[], PROXIES), "127.0.0.1");
    }

    #[test]
    fn ipv6_hops_and_peers() {
        let xff = |v| addr("[fd00::1]:443", &[("x-forwarded-for", v)], PROXIES);
        assert_eq!(xff("2001:db8::7"), "2001:db8::7");
        assert_eq!(xff("[2001:db8::7]:4711"), "2001:db8::7");
        assert_eq!(xff("2001:db8::7, fd00::2"), "2001:db8::7");
        // An IPv4 client seen through an IPv4-mapped IPv6 socket is the IPv4 address.
        assert_eq!(
            addr(
                "[::ffff:10.0.0.1]:80",
                &[("x-forwarded-for", "::ffff:203.0.113.7")],
                PROXIES
            ),
            "203.0.113.7"
        );
        assert_eq!(
            addr("[::ffff:198.51.100.9]:80", &[], PROXIES),
            "198.51.100.9"
        );
    }

    #[test]
    fn the_forwarded_header() {
        let fwd = |v| addr("127.0.0.1:80", &[("forwarded", v)], PROXIES);
        assert_eq!(
            fwd("for=203.0.113.7;proto=https;by=10.0.0.1"),
            "203.0.113.7"
        );
        assert_eq!(
            fwd("for=1.2.3.4, For=\"[2001:db8:cafe::17]:4711\""),
            "2001:db8:cafe::17"
        );
        assert_eq!(fwd("for=203.0.113.7, for=10.0.0.3"), "203.0.113.7");
        assert_eq!(fwd("proto=https"), "127.0.0.1");
        // X-Forwarded-For wins when a proxy sent both.
        assert_eq!(
            addr(
                "127.0.0.1:80",
                &[
                    ("forwarded", "for=5.6.7.8"),
                    ("x-forwarded-for", "203.0.113.9")
                ],
                PROXIES
            ),
            "203.0.113.9"
        );
    }

    #[test]
    fn garbage_stops_at_the_last_address_we_can_vouch_for() {
        let xff = |v| addr("127.0.0.1:80", &[("x-forwarded-for", v)], PROXIES);
        assert_eq!(xff("not an address"), "127.0.0.1");
        assert_eq!(xff("203.0.113.7, garbage, 10.0.0.4"), "10.0.0.4");
        assert_eq!(xff("1.2.3.4, unknown"), "127.0.0.1");
        assert_eq!(xff(""), "127.0.0.1");
        assert_eq!(xff("999.1.1.1"), "127.0.0.1");
        assert_eq!(
            addr("127.0.0.1:80", &[("forwarded", "for=_hidden")], PROXIES),
            "127.0.0.1"
        );
    }
}
