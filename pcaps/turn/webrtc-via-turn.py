#!/usr/bin/python3
"""webrtc-via-turn.py: two aiortc peers in one process open a WebRTC data
channel whose every packet is relayed through a TURN server, so the DTLS
handshake between them travels inside TURN (used by make-turn-pcaps.sh).

Usage: webrtc-via-turn.py [--turn HOST:PORT] [--transport udp|tcp]
                          [--method channel|indication] [--first-channel N]
                          [--user U] [--password P]

Both peers get only relay candidates: run it in a network namespace whose
only interface is lo, where aioice finds no host address (it skips
127.0.0.1), so nothing but the TURN relay can connect them (the effect of
iceTransportPolicy "relay", which aiortc 1.4 does not expose).

--method channel (default) is aioice's own way: ChannelBind, then
ChannelData both ways.  --method indication replaces aioice's send path by
the other one RFC 8656 defines (section 10-11): CreatePermission, then
every datagram in a Send indication (XOR-PEER-ADDRESS + DATA); with no
channel bound the server answers with Data indications.  --first-channel
0x7000 numbers the channels as RFC 5766 still allowed (0x4000-0x7FFE; RFC
8656 keeps 0x4000-0x4FFF, the range RFC 7983's first-byte demultiplexing
gives to ChannelData).  Only the TURN framing changes: ICE, DTLS and SCTP
are aiortc's own.

Prints one line per peer: its relayed address, the DTLS role, and the
message the data channel carried.  Exit 0 when the message came back.
"""

import argparse
import asyncio
import logging
import sys

from aioice import stun, turn
from aiortc import (RTCConfiguration, RTCIceServer, RTCPeerConnection,
                    RTCSessionDescription)


def first_channel(number):
    """Make aioice number its channels from `number` (it starts at 0x4000)."""
    mixin = turn.TurnClientMixin
    orig_init = mixin.__init__

    def init(self, *args, **kwargs):
        orig_init(self, *args, **kwargs)
        self.channel_number = number

    mixin.__init__ = init


def use_send_indications():
    """Patch aioice's TURN client to use Send/Data indications."""
    # aioice 0.8 does not know the DATA attribute (RFC 8656 section 18.4)
    if "DATA" not in stun.ATTRIBUTES_BY_NAME:
        entry = (0x0013, "DATA", stun.pack_bytes, stun.unpack_bytes)
        stun.ATTRIBUTES.append(entry)
        stun.ATTRIBUTES_BY_TYPE[0x0013] = entry
        stun.ATTRIBUTES_BY_NAME["DATA"] = entry

    mixin = turn.TurnClientMixin
    orig_received = mixin.datagram_received

    async def create_permission(self, addr):
        request = stun.Message(message_method=stun.Method.CREATE_PERMISSION,
                               message_class=stun.Class.REQUEST)
        request.attributes["XOR-PEER-ADDRESS"] = addr
        await self.request_with_retry(request)

    async def send_data(self, data, addr):
        permitted = self.__dict__.setdefault("_permitted", {})
        if addr[0] not in permitted:
            permitted[addr[0]] = asyncio.ensure_future(create_permission(self, addr))
        await permitted[addr[0]]
        ind = stun.Message(message_method=stun.Method.SEND,
                           message_class=stun.Class.INDICATION)
        ind.attributes["XOR-PEER-ADDRESS"] = addr
        ind.attributes["DATA"] = data
        self._send(bytes(ind))

    def datagram_received(self, data, addr):
        if len(data) >= 20 and (data[0] & 0xC0) == 0:
            try:
                message = stun.parse_message(data)
            except ValueError:
                message = None
            if (message is not None and message.message_method == stun.Method.DATA
                    and message.message_class == stun.Class.INDICATION):
                peer = message.attributes.get("XOR-PEER-ADDRESS")
                payload = message.attributes.get("DATA")
                if self.receiver and peer and payload is not None:
                    self.receiver.datagram_received(payload, peer)
                return
        orig_received(self, data, addr)

    mixin.send_data = send_data
    mixin.datagram_received = datagram_received


async def run(args):
    url = "turn:%s?transport=%s" % (args.turn, args.transport)
    config = RTCConfiguration(iceServers=[
        RTCIceServer(urls=url, username=args.user, credential=args.password)])
    offerer = RTCPeerConnection(configuration=config)
    answerer = RTCPeerConnection(configuration=config)
    done = asyncio.get_event_loop().create_future()
    message = "hello through TURN (%s, %s)" % (args.transport, args.method)

    channel = offerer.createDataChannel("tlsmon")

    @channel.on("open")
    def on_open():
        channel.send(message)

    @channel.on("message")
    def on_echo(msg):
        if not done.done():
            done.set_result(msg)

    @answerer.on("datachannel")
    def on_datachannel(ch):
        @ch.on("message")
        def on_message(msg):
            ch.send(msg)  # echo

    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(RTCSessionDescription(
        sdp=answerer.localDescription.sdp, type=answerer.localDescription.type))
    try:
        got = await asyncio.wait_for(done, args.timeout)
    finally:
        for name, pc in (("offerer", offerer), ("answerer", answerer)):
            sctp = pc.sctp
            dtls = sctp.transport if sctp else None
            relay = None
            if dtls is not None:
                conn = dtls.transport.iceGatherer._connection
                relay = [c for c in conn.local_candidates if c.type == "relay"]
            print("%s: relay %s, dtls role %s" % (
                name, ["%s:%d" % (c.host, c.port) for c in relay or []],
                getattr(dtls, "_role", None)))
        await asyncio.sleep(0.3)
        await offerer.close()
        await answerer.close()
        await asyncio.sleep(0.5)  # let the TURN Refresh(lifetime 0) go out
    print("data channel echo: %r" % got)
    return 0 if got == message else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--turn", default="127.0.0.1:3478")
    ap.add_argument("--transport", choices=("udp", "tcp"), default="udp")
    ap.add_argument("--method", choices=("channel", "indication"), default="channel")
    ap.add_argument("--first-channel", type=lambda v: int(v, 0), default=None,
                    help="first TURN channel number (aioice: 0x4000); RFC 5766 allowed "
                         "0x4000-0x7FFE, RFC 8656 only 0x4000-0x4FFF")
    ap.add_argument("--user", default="user")
    ap.add_argument("--password", default="pass")
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG)
    if args.method == "indication":
        use_send_indications()
    if args.first_channel is not None:
        first_channel(args.first_channel)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
