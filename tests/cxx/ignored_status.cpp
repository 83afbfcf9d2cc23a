// SPDX-License-Identifier: MIT
// Must NOT compile with -Werror=unused-result: photon::status is
// [[nodiscard]], so a dropped result of publish() is a diagnostic
// (tests/nodiscard.cmake checks that it is, and why).
#include <photon/photon.hpp>

struct Tick {
	double px;
};

void drop(photon::publisher<Tick> &pub)
{
	pub.publish(Tick{ 1.0 }); // the ignored status
}
